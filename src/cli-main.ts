import { createRequire } from 'node:module';
import type yargsFactory from 'yargs';
import type { hideBin as hideBinFn } from 'yargs/helpers';
import { commands } from './commands/index.js';
import { detectTerminal } from './ui/terminal.js';
import { EXIT, UserError } from './util/errors.js';
import { reportUnexpected } from './unexpected.js';
import { packageVersion } from './util/version.js';
import { prepareGpuEnvironment } from './platform/gpu-env.js';

// yargs' CommonJS build: its help wraps at word boundaries, where the ESM build's cliui cuts words
// in half. It loads as fast. Every command module is light (its implementation is imported only when
// it runs), so `--help` answers without loading TensorFlow.js, Ink or conf.
const require = createRequire(import.meta.url);
const yargs = require('yargs') as typeof yargsFactory;
const { hideBin } = require('yargs/helpers') as { hideBin: typeof hideBinFn };

/** Set to 1, makes the CLI throw an unexpected error at startup (tests of the crash report). */
const TEST_CRASH_ENV = 'RESNET_TUTOR_TEST_CRASH';

const COMMAND_NAMES = commands.map((c) => String(Array.isArray(c.command) ? c.command[0] : c.command).split(' ')[0]!);

/** The entry point: builds the yargs command table and is the only place that exits the process. */
async function main(given: string[]): Promise<number> {
  if (process.env[TEST_CRASH_ENV] === '1') throw new Error(`crash requested by ${TEST_CRASH_ENV}=1`);
  let exitCode: number = EXIT.ok;
  const argv = withDefaultCommand(given);
  const cli = yargs(argv)
    .scriptName('resnet-tutor')
    .usage('$0 <command> [options]\n\nLearn residual networks by running them: a terminal tutor and live training monitor.')
    // Every other word on screen is English; so are yargs' own words ("Options:", "Examples:").
    .locale('en')
    // A flag given twice takes its last value (scripts append overrides), never an array.
    .parserConfiguration({ 'duplicate-arguments-array': false })
    .strict()
    .recommendCommands()
    .wrap(Math.min(100, process.stdout.columns || 100))
    .help()
    .alias('h', 'help')
    .version(packageVersion())
    .alias('V', 'version')
    .example('$0 lessons', 'the lessons, with your progress')
    .example('$0 train --steps 200', 'a quick run with the live dashboard')
    .example('$0 doctor', 'which compute backends work on this machine')
    .epilogue(
      'Every command has --help with examples. Your defaults for --backend, --run-dir, --color and --lessons: ' +
        '`resnet-tutor config list`. Tab completion: `resnet-tutor completion >> ~/.bashrc`.',
    )
    .fail((msg, err) => {
      if (err) throw err;
      throw new UserError(failMessage(msg ?? 'Invalid command line', argv));
    });
  for (const spec of commands) {
    cli.command({
      command: spec.command as string | string[],
      describe: spec.describe,
      builder: spec.builder,
      handler: async (args) => {
        exitCode = await spec.run(args as never);
      },
    });
  }
  cli.demandCommand(1, 'Name a command, e.g. `resnet-tutor lessons` or `resnet-tutor train`.');
  await cli.parseAsync();
  return exitCode;
}

/**
 * `resnet-tutor` alone opens the tutor on an interactive terminal (the main job) and prints the help
 * anywhere else (a pipe, a script), where a full-screen program would only get in the way. Options
 * without a command (`resnet-tutor --no-color`) go to the tutor too.
 */
export function withDefaultCommand(argv: readonly string[], interactive = isInteractive()): string[] {
  const hasCommand = argv.some((a) => !a.startsWith('-'));
  const asksForInfo = argv.some((a) => ['--help', '-h', '--version', '-V'].includes(a) || a.startsWith('--get-yargs-completions'));
  if (hasCommand || asksForInfo) return [...argv];
  return interactive ? ['learn', ...argv] : ['--help'];
}

function isInteractive(): boolean {
  return detectTerminal().interactive;
}

/**
 * One paragraph for a command line yargs refused: what was wrong, and the `--help` that shows what
 * is right. An unknown command gets yargs' suggestion (`trian` -> `train`) and the top-level help.
 */
function failMessage(msg: string, argv: readonly string[]): string {
  const sentence = (s: string): string => (/[.?!]$/.test(s.trim()) ? s.trim() : `${s.trim()}.`);
  const first = argv.find((a) => !a.startsWith('-'));
  if (first !== undefined && !COMMAND_NAMES.includes(first)) {
    const suggestion = /Did you mean (\S+?)\?/.exec(msg)?.[1];
    return `Unknown command "${first}".${suggestion ? ` Did you mean \`resnet-tutor ${suggestion}\`?` : ''} Run \`resnet-tutor --help\` to see every command.`;
  }
  const help = first === undefined ? 'resnet-tutor --help' : `resnet-tutor ${first} --help`;
  return `${sentence(msg.replace(/\s*\n\s*/g, ' '))} Run \`${help}\` to see the ${first === undefined ? 'commands' : 'options'}.`;
}

// A closed pipe (`resnet-tutor train | head`) is not an error worth a stack trace; training goes on
// and its run directory is written as usual.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

// The GPU routes' environment must be in place before the engine worker starts (see platform/gpu-env.ts); with
// per-user CUDA libraries it re-runs this command line once, in a child, with LD_LIBRARY_PATH set.
prepareGpuEnvironment(hideBin(process.argv))
  .then((code) => (code === null ? main(hideBin(process.argv)) : code))
  .then(
    (code) => {
      process.exitCode = code;
      // A finished run leaves at once: a signal in Node's own slow teardown (after our handlers are
      // gone) would otherwise kill the process and hide the run's real exit code from a wrapper.
      if (['train', 'resume', 'compare'].includes(hideBin(process.argv).find((a) => !a.startsWith('-')) ?? '')) process.exit(code);
    },
    (err: unknown) => {
      if (err instanceof UserError) {
        process.stderr.write(`resnet-tutor: ${err.message}\n`);
        process.exitCode = EXIT.userError;
      } else {
        process.exitCode = reportUnexpected(err);
      }
    },
  );
