import type { CommandSpec } from './types.js';
import { rawConfigFromArgs, withTrainOptions } from './train-options.js';

export const train: CommandSpec = {
  command: 'train',
  describe: 'Train one network: live dashboard on a terminal, plain or JSON lines when headless',
  builder: (y) =>
    withTrainOptions(y)
      .option('name', {
        type: 'string',
        describe: 'Run id to use instead of a time stamp (for scripts that resume by name)',
        group: 'Run:',
      })
      .option('resume-if-exists', {
        type: 'boolean',
        describe:
          'With --name: resume that run if it exists (a completed one exits 0 without training), else start it; one line for a requeued batch job',
        group: 'Run:',
      })
      .example('$0 train', 'residual MLP with BatchNorm on Fashion-MNIST, one epoch')
      .example('$0 train --net cnn --arch plain --depth 20 --epochs 2', 'the plain twin of ResNet-20')
      .example('$0 train --dataset cifar10 --net cnn --depth 56 --backend node-gpu', 'paper-sized, on the GPU')
      .example('nohup $0 train --steps 5000 > train.log &', 'headless; `resnet-tutor resume <run>` continues it')
      .example('$0 train --name resnet56 --resume-if-exists --headless', 'a Slurm job: starts the run, or resumes it when requeued'),
  run: async (args) => {
    const { launchTraining } = await import('./impl/launch.js');
    return launchTraining({
      raw: rawConfigFromArgs(args),
      backend: String(args.backend ?? 'auto'),
      runRoot: String(args.runDir ?? 'checkpoints'),
      json: Boolean(args.json),
      ...(args.name !== undefined ? { name: String(args.name) } : {}),
      resumeIfExists: Boolean(args.resumeIfExists),
      headless: Boolean(args.headless),
      noColor: args.color === false,
    });
  },
};
