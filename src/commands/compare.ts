import type { CommandSpec } from './types.js';
import { rawConfigFromArgs, withTrainOptions } from './train-options.js';

export const compare: CommandSpec = {
  command: 'compare',
  describe: 'Train 2-4 runs side by side (any option may take a comma list), overlaid on the same charts',
  builder: (y) =>
    withTrainOptions(y)
      .example('$0 compare --arch plain,residual,residual-bn --depth 20', 'the lecture in one command')
      .example('$0 compare --arch residual,residual-bn --lr 0.01,0.5 --steps 300', 'does only BatchNorm survive the high rate?')
      .example('$0 compare --net cnn --arch plain,residual --depth 20 --train-limit 4000', 'ResNet-20 and its plain twin'),
  run: async (args) => {
    const { launchComparison } = await import('./impl/compare.js');
    return launchComparison({
      raw: rawConfigFromArgs(args),
      backend: String(args.backend ?? 'auto'),
      runRoot: String(args.runDir ?? 'checkpoints'),
      json: Boolean(args.json),
      headless: Boolean(args.headless),
      noColor: args.color === false,
    });
  },
};
