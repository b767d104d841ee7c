import type { CommandSpec } from './types.js';
import { flagDefault } from '../stores/settings.js';

interface LessonsArgs {
  readonly check?: string;
  readonly lessons?: string;
  readonly reset?: boolean;
  readonly yes?: boolean;
  readonly json?: boolean;
}

/** `resnet-tutor lessons`: the lesson list with progress; `--check` lints the lesson files. */
export const lessons: CommandSpec<LessonsArgs> = {
  command: 'lessons',
  describe: 'List the lessons with your progress; --check validates every lesson file',
  builder: (y) =>
    y
      .option('check', {
        type: 'string',
        describe: 'Check lesson files (the lessons folder, or the file or folder given) and print each problem as file:line',
      })
      .option('lessons', {
        type: 'string',
        ...flagDefault('lessons'),
        describe: 'Folder of lesson files (default: the lessons shipped with resnet-tutor, or `resnet-tutor config set lessons DIR`)',
      })
      .option('reset', { type: 'boolean', describe: 'Forget all lesson progress (asks first)' })
      .option('yes', { type: 'boolean', describe: 'With --reset: do not ask (needed when the input is not a terminal)' })
      .option('json', { type: 'boolean', describe: 'Print JSON instead of text' })
      .example('$0 lessons', 'the lessons, with your progress in each')
      .example('$0 lessons --check', 'lint the shipped lessons (exit 1 on any error)')
      .example('$0 lessons --check my/04-x.md', 'lint one lesson file you are writing')
      .example('$0 lessons --lessons my', 'list a course of your own (see lessons/FORMAT.md)')
      .example('$0 lessons --reset --yes', 'forget all progress without being asked'),
  run: async (args) => {
    const { runLessonsCommand } = await import('../lessons/report.js');
    return runLessonsCommand({
      check: args.check === undefined ? undefined : String(args.check),
      lessonsDir: args.lessons === undefined ? undefined : String(args.lessons),
      reset: Boolean(args.reset),
      yes: Boolean(args.yes),
      json: Boolean(args.json),
    });
  },
};
