import type { CommandSpec } from './types.js';
import { flagDefault } from '../settings.js';
import { UserError } from '../errors.js';

interface WatchArgs {
  readonly run: string;
  readonly 'run-dir': string;
  readonly interval: number;
}

/** `resnet-tutor watch <run>`: follow a run that trains elsewhere (nohup, Slurm, another terminal). */
export const watch: CommandSpec<WatchArgs> = {
  command: 'watch <run>',
  describe: 'Follow a run that trains elsewhere (nohup, Slurm) until it ends',
  builder: (y) =>
    y
      .positional('run', { type: 'string', demandOption: true, describe: 'Run id, unique id prefix, or run folder path' })
      .option('run-dir', { type: 'string', ...flagDefault('runDir'), describe: 'Folder that holds run folders' })
      .option('interval', { type: 'number', default: 2, describe: 'Seconds between looks at the run folder' })
      .example('$0 watch 20261128-1830', 'follow it; Ctrl-C stops watching only')
      .example('$0 watch <run> --run-dir /scratch/runs', 'a Slurm job writing to a shared disk')
      .example('$0 watch <run> && echo done', 'exit 0 completed, 2 diverged, 130 interrupted'),
  run: async (args) => {
    const interval = Number(args.interval);
    if (!Number.isFinite(interval) || interval < 0.05 || interval > 3600) {
      throw new UserError(`--interval must be a number of seconds from 0.05 to 3600; got ${String(args.interval)}.`);
    }
    const { watchRun } = await import('../runs/watch.js');
    return watchRun({ root: args.runDir, run: args.run, intervalSeconds: interval });
  },
};
