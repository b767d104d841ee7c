#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commands } from './commands/index.js';
import { EXIT, UserError } from './errors.js';
import { reportUnexpected } from './unexpected.js';

/** The entry point: builds the yargs command table and is the only place that exits the process. */
async function main(argv: string[]): Promise<number> {
  let exitCode: number = EXIT.ok;
  const cli = yargs(argv)
    .scriptName('resnet-tutor')
    .usage('$0 <command> [options]\n\nLearn residual networks by running them: a terminal tutor and live training monitor.')
    // A flag given twice takes its last value (scripts append overrides), never an array.
    .parserConfiguration({ 'duplicate-arguments-array': false })
    .strict()
    .recommendCommands()
    .wrap(Math.min(100, process.stdout.columns || 100))
    .help()
    .alias('h', 'help')
    .version()
    .alias('V', 'version')
    .fail((msg, err, y) => {
      if (err) throw err;
      throw new UserError(`${msg}\nRun \`resnet-tutor ${argvCommand(argv)} --help\` to see the options.`);
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
  cli.demandCommand(1, 'Name a command (see the list above).');
  await cli.parseAsync();
  return exitCode;
}

function argvCommand(argv: string[]): string {
  const first = argv.find((a) => !a.startsWith('-'));
  return first ?? '';
}

// A closed pipe (`resnet-tutor train | head`) is not an error worth a stack trace; training goes on
// and its run directory is written as usual.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

main(hideBin(process.argv)).then(
  (code) => {
    process.exitCode = code;
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
