import type { CommandSpec } from './types.js';
import { flagDefault } from '../settings.js';
import { EXIT } from '../errors.js';

interface RunsArgs {
  readonly 'run-dir': string;
  readonly json: boolean;
}

/** `resnet-tutor runs`: the runs in a run directory, newest first. */
export const runs: CommandSpec<RunsArgs> = {
  command: 'runs',
  describe: 'List runs: model, status, progress, best accuracy; newest first',
  builder: (y) =>
    y
      .option('run-dir', { type: 'string', ...flagDefault('runDir'), describe: 'Folder that holds run folders' })
      .option('json', { type: 'boolean', default: false, describe: 'Print an array of run.json objects (plus their path)' })
      .example('$0 runs', 'the runs in ./checkpoints')
      .example('$0 runs --run-dir /scratch/runs', 'runs kept elsewhere, e.g. on a cluster scratch disk')
      .example("$0 runs --json | jq '.[].status'", 'for scripts: run.json objects plus their path'),
  run: async (args) => {
    const { listRuns, formatRunsTable, runsAsJson } = await import('../runs/list.js');
    const root = args.runDir;
    const listings = listRuns(root);
    if (args.json) {
      process.stdout.write(`${JSON.stringify(runsAsJson(listings), null, 2)}\n`);
    } else {
      process.stdout.write(formatRunsTable(root, listings, process.stdout.isTTY ? process.stdout.columns || 100 : Infinity));
    }
    return EXIT.ok;
  },
};
