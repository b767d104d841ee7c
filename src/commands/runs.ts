import type { CommandSpec } from './types.js';
import { flagDefault } from '../stores/settings.js';
import { EXIT } from '../util/errors.js';

interface RunsArgs {
  readonly 'run-dir': string;
  readonly json: boolean;
  readonly lessons: boolean;
  readonly dir: boolean;
}

/** `resnet-tutor runs`: the runs in a run directory (or the tutor's lesson runs), newest first. */
export const runs: CommandSpec<RunsArgs> = {
  command: 'runs',
  describe: 'List runs: model, status, progress, best accuracy; newest first',
  builder: (y) =>
    y
      .option('run-dir', { type: 'string', ...flagDefault('runDir'), describe: 'Folder that holds run folders' })
      .option('json', { type: 'boolean', default: false, describe: 'Print an array of run.json objects (plus their path)' })
      .option('lessons', {
        type: 'boolean',
        default: false,
        describe: "The tutor's lesson runs (kept in the per-user data folder: $XDG_DATA_HOME/resnet-tutor/lesson-runs)",
      })
      .option('dir', { type: 'boolean', default: false, describe: 'Print only the folder that would be listed' })
      .example('$0 runs', 'the runs in ./checkpoints')
      .example('$0 runs --run-dir /scratch/runs', 'runs kept elsewhere, e.g. on a cluster scratch disk')
      .example('$0 runs --lessons', "the runs of the tutor's experiments (report, resume and probe find them by id)")
      .example("$0 runs --json | jq '.[].status'", 'for scripts: run.json objects plus their path'),
  run: async (args) => {
    const { listRuns, formatRunsTable, runsAsJson } = await import('../runs/list.js');
    const { lessonRunsDir } = await import('../runs/lesson-root.js');
    const { readLessonTag } = await import('../lessons/lesson-runs.js');
    const root = args.lessons ? lessonRunsDir() : args.runDir;
    if (args.dir) {
      process.stdout.write(`${root}\n`);
      return EXIT.ok;
    }
    const listings = listRuns(root);
    if (args.json) {
      process.stdout.write(`${JSON.stringify(runsAsJson(listings), null, 2)}\n`);
    } else if (args.lessons && listings.length === 0) {
      process.stdout.write(`No lesson runs in ${root} yet: they appear when you run an experiment in \`resnet-tutor learn\`.\n`);
    } else {
      if (args.lessons) process.stdout.write(`Lesson runs in ${root} (the latest run of each experiment is kept):\n`);
      // Which lesson experiment made each run: what a lesson's hint ("probe paths <run>") points at.
      const lesson = {
        name: 'LESSON RUN',
        cell: (l: (typeof listings)[number]) => {
          const t = readLessonTag(l.path);
          return t ? [t.lesson, t.experiment, t.label, `seed ${t.seed}`, t.variant === 'full' ? 'full' : ''].filter(Boolean).join(' ') : '';
        },
      };
      const width = process.stdout.isTTY ? process.stdout.columns || 100 : Infinity;
      process.stdout.write(formatRunsTable(root, listings, width, new Date(), args.lessons ? [lesson] : []));
    }
    return EXIT.ok;
  },
};
