import type { Argv, ArgumentsCamelCase } from 'yargs';

/**
 * The shape every `src/commands/<name>.ts` exports. `run` loads its implementation with `import()`
 * only when the command runs, so `--help` never loads TensorFlow.js. It returns the exit code;
 * only `src/cli.ts` calls `process.exit`.
 */
export interface CommandSpec<A = Record<string, unknown>> {
  readonly command: string | readonly string[];
  readonly describe: string;
  readonly builder: (yargs: Argv) => Argv<A>;
  readonly run: (args: ArgumentsCamelCase<A>) => Promise<number>;
}
