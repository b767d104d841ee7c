import type { CommandSpec } from './types.js';
import { flagDefault } from '../stores/settings.js';
import { UserError } from '../util/errors.js';

interface WatchArgs {
  readonly run: string | undefined;
  readonly 'run-dir': string;
  readonly interval: number;
  readonly headless: boolean | undefined;
  readonly color: boolean | undefined;
}

/** `resnet-tutor watch [run[,run...]]`: follow runs that train elsewhere (nohup, Slurm, another terminal). */
export const watch: CommandSpec<WatchArgs> = {
  command: 'watch [run]',
  describe: 'Follow runs that train elsewhere (nohup, Slurm): the live dashboard, read-only; plain lines when piped',
  builder: (y) =>
    y
      .positional('run', {
        type: 'string',
        describe: 'Run id, unique id prefix or run folder; a comma list overlays runs; default: the newest running run',
      })
      .option('run-dir', { type: 'string', ...flagDefault('runDir'), describe: 'Folder that holds run folders' })
      .option('interval', { type: 'number', default: 2, describe: 'Seconds between looks at the run folder' })
      .option('headless', { type: 'boolean', describe: 'Print plain lines even on a terminal (the default when piped)' })
      .option('color', { type: 'boolean', ...flagDefault('color'), describe: 'Colours in the dashboard (--no-color: none)' })
      .example('$0 watch', 'the newest running run; q leaves, the run keeps going')
      .example('$0 watch 20261128-1830', 'that run; Ctrl-C stops watching only')
      .example('$0 watch plain-d20,resnet-d20', 'two runs overlaid on one chart')
      .example('$0 watch <run> --run-dir /scratch/runs', 'a Slurm job writing to a shared disk')
      .example('$0 watch <run> | cat', 'plain lines; exit 0 completed, 2 diverged, 130 interrupted'),
  run: async (args) => {
    const interval = Number(args.interval);
    if (!Number.isFinite(interval) || interval < 0.05 || interval > 3600) {
      throw new UserError(`--interval must be a number of seconds from 0.05 to 3600; got ${String(args.interval)}.`);
    }
    const { watchRun } = await import('./impl/watch.js');
    return watchRun({
      root: args.runDir,
      ...(args.run !== undefined ? { run: args.run } : {}),
      intervalSeconds: interval,
      headless: Boolean(args.headless),
      noColor: args.color === false,
    });
  },
};
