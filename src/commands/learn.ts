import { flagDefault } from '../stores/settings.js';
import type { CommandSpec } from './types.js';
import { BACKEND_OPTION_CHOICES } from './train-options.js';

interface LearnArgs {
  readonly lesson?: string;
  readonly lessons?: string;
  readonly full?: boolean;
  readonly backend?: string;
  readonly runDir?: string;
  readonly color?: boolean;
}

/** `resnet-tutor learn [lesson]`: the tutor, at the menu or at a lesson. `resnet-tutor` alone opens it too. */
export const learn: CommandSpec<LearnArgs> = {
  command: ['learn [lesson]'],
  describe: 'The tutor: the lecture lesson by lesson, with live experiments and questions (the default)',
  builder: (y) =>
    y
      .positional('lesson', { type: 'string', describe: 'Lesson number or id to open (default: the menu)' })
      .option('lessons', { type: 'string', ...flagDefault('lessons'), describe: 'Folder of lesson files (default: the shipped lessons)' })
      .option('full', {
        type: 'boolean',
        describe:
          'Run the paper-sized experiments (CIFAR-10, ResNet-20/56). Default: on with --backend node-gpu, off otherwise (--no-full)',
      })
      .option('backend', {
        type: 'string',
        choices: BACKEND_OPTION_CHOICES,
        ...flagDefault('backend'),
        describe: 'Compute backend for experiments',
      })
      .option('run-dir', { type: 'string', ...flagDefault('runDir'), describe: 'Where experiment runs are kept (in a lessons/ subfolder)' })
      .option('color', { type: 'boolean', ...flagDefault('color'), describe: 'Colours (--no-color: none; NO_COLOR is honoured too)' })
      .example('$0', 'open the tutor where you left off')
      .example('$0 learn 6', 'lesson 6: exploding variance')
      .example('$0 learn batch-norm', 'a lesson by id')
      .example('$0 learn --backend node-gpu', 'on the GPU: the paper-sized experiments (add --no-full for the quick ones)') as never,
  run: async (args) => {
    const { startTutor } = await import('./impl/learn.js');
    return startTutor({
      lesson: args.lesson,
      lessonsDir: args.lessons || undefined,
      // The GPU backend runs the paper-sized versions unless told otherwise.
      full: args.full ?? String(args.backend) === 'node-gpu',
      backend: String(args.backend ?? 'auto'),
      runRoot: String(args.runDir ?? 'checkpoints'),
      noColor: args.color === false,
    });
  },
};
