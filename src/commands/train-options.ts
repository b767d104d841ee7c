import type { Argv, Options } from 'yargs';
import { ARCHS, AUGMENTS, BLOCK_ORDERS, BLOCKS, NETS, OPTIMIZERS, RECIPES, SCHEDULES, SHORTCUTS } from '../contracts/train-config.js';
import { BACKEND_CHOICES, flagDefault } from '../stores/settings.js';
import { UserError } from '../util/errors.js';

export const BACKEND_OPTION_CHOICES = BACKEND_CHOICES;

/**
 * The options `train` and `compare` share (DESIGN.md, command-line contract). `--backend`,
 * `--run-dir` and `--color` default to the user's settings (`resnet-tutor config`), read only when
 * the command's builder runs, so the top-level `--help` never touches the settings file.
 */
/** `--backend` and `--run-dir` in the Run: group, defaulting to the saved settings (train, compare, probe). */
export function runOptions(backendDescribe: string): Record<'backend' | 'run-dir', Options> {
  return {
    backend: { type: 'string', choices: BACKEND_OPTION_CHOICES, ...flagDefault('backend'), describe: backendDescribe, group: 'Run:' },
    'run-dir': { type: 'string', ...flagDefault('runDir'), describe: 'Folder that holds run folders', group: 'Run:' },
  };
}

export function withTrainOptions(y: Argv): Argv {
  return y
    .option('recipe', {
      type: 'string',
      describe: `${RECIPES.join(' | ')}: a paper's whole setting (flags given with it override its fields). he2015-cifar = He et al. 2015's ResNet-20 on CIFAR-10: option A shortcuts, 4-pixel pad + random crop + flip, 45k/5k split, batch 128, lr 0.1, momentum 0.9, weight decay 1e-4, lr/10 at 32k and 48k, 64k steps; the paper's 8.75% test error (Table 6) is a target for a GPU`,
      group: 'Model:',
    })
    .option('net', { type: 'string', describe: `Network family: ${NETS.join(' | ')}`, group: 'Model:' })
    .option('arch', {
      type: 'string',
      describe: `${ARCHS.join(' | ')} (default residual-bn; densenet with --net cnn only; with --net unet, plain = without the skip concatenations, residual-bn = with them)`,
      group: 'Model:',
    })
    .option('depth', {
      type: 'string',
      describe:
        'MLP: number of blocks (default 8). CNN: weight layers, 6n+2 e.g. 20, 32, 56, 110 (default 20); densenet: conv layers 3n+4 e.g. 16, 22, 40 (default 16). U-Net: fixed (2 levels down, a bottleneck, 2 up), --depth ignored',
      group: 'Model:',
    })
    .option('width', {
      type: 'string',
      describe:
        'MLP: hidden units (default 128). CNN: first-stage channels (default 16); densenet: growth rate k (default 12). U-Net: base channels (default 8)',
      group: 'Model:',
    })
    .option('block', { type: 'string', describe: `CNN block: ${BLOCKS.join(' | ')}`, group: 'Model:' })
    .option('block-order', {
      type: 'string',
      describe: `${BLOCK_ORDERS.join(' | ')}: ReLU after the addition (He 2015), ReLU inside the branch only, or BN-ReLU-weight pre-activation (He 2016)`,
      group: 'Model:',
    })
    .option('shortcut', {
      type: 'string',
      describe: `${SHORTCUTS.join(' | ')}: where a CNN block changes shape, a 1x1 convolution (default) or He's parameter-free option A`,
      group: 'Model:',
    })
    .option('augment', {
      type: 'string',
      describe: `${AUGMENTS.join(' | ')}: crop-flip = 4-pixel zero pad, random crop, random flip`,
      group: 'Data:',
    })
    .option('holdout', {
      type: 'string',
      describe: 'Validate on this many held-out training examples instead of the test split (he2015-cifar: 5000)',
      group: 'Data:',
    })
    .option('dataset', {
      type: 'string',
      describe:
        'fashion-mnist (default) | mnist | cifar10 | synthetic-1d | synthetic-spiral | synthetic-shapes | synthetic-segment (segmentation, --net unet)',
      group: 'Data:',
    })
    .option('train-limit', { type: 'string', describe: 'Use at most this many training examples', group: 'Data:' })
    .option('val-limit', { type: 'string', describe: 'Use at most this many validation examples', group: 'Data:' })
    .option('epochs', { type: 'string', describe: 'Passes over the training set (default 1)', group: 'Training:' })
    .option('steps', { type: 'string', describe: 'Stop after this many steps instead of --epochs', group: 'Training:' })
    .option('batch-size', { type: 'string', describe: 'Examples per step (default 64)', group: 'Training:' })
    .option('lr', { type: 'string', describe: 'Learning rate (default 0.05)', group: 'Training:' })
    .option('optimizer', { type: 'string', describe: `${OPTIMIZERS.join(' | ')} (default momentum 0.9)`, group: 'Training:' })
    .option('momentum', { type: 'string', describe: 'Momentum for --optimizer momentum (default 0.9)', group: 'Training:' })
    .option('weight-decay', { type: 'string', describe: 'L2 weight decay on weights (default 0)', group: 'Training:' })
    .option('schedule', { type: 'string', describe: `Learning-rate schedule: ${SCHEDULES.join(' | ')}`, group: 'Training:' })
    .option('seed', { type: 'string', describe: 'Seed for weights and batch order (default 1)', group: 'Training:' })
    .options(runOptions('Compute backend; auto tries node-gpu, webgpu, node, wasm, cpu'))
    .option('log-every', { type: 'string', describe: 'Write a metrics line every N steps (default 10)', group: 'Run:' })
    .option('checkpoint-every', {
      type: 'string',
      describe: 'Checkpoint every N steps, 0 = only at epoch ends and on stop (default 500)',
      group: 'Run:',
    })
    .option('keep', { type: 'string', describe: 'Keep the newest K checkpoints (default 3)', group: 'Run:' })
    .option('headless', {
      type: 'boolean',
      describe: 'Print plain progress lines (the default when stdout is not a terminal)',
      group: 'Run:',
    })
    .option('json', { type: 'boolean', describe: 'Print JSON lines (one per metrics line and event) instead', group: 'Run:' })
    .option('color', {
      type: 'boolean',
      ...flagDefault('color'),
      describe: 'Colours in the dashboard (--no-color turns them off; NO_COLOR is honoured too)',
      group: 'Run:',
    });
}

/** Picks the config fields out of parsed yargs arguments (camel-cased by yargs). */
export function rawConfigFromArgs(args: Record<string, unknown>): Record<string, unknown> {
  const keys = [
    'recipe',
    'shortcut',
    'augment',
    'holdout',
    'net',
    'arch',
    'depth',
    'width',
    'block',
    'blockOrder',
    'dataset',
    'trainLimit',
    'valLimit',
    'epochs',
    'steps',
    'batchSize',
    'lr',
    'optimizer',
    'momentum',
    'weightDecay',
    'schedule',
    'seed',
    'logEvery',
    'checkpointEvery',
    'keep',
  ];
  const out: Record<string, unknown> = {};
  for (const k of keys) if (args[k] !== undefined) out[k] = strictValue(k, args[k]);
  return out;
}

const INTEGER_FLAGS = new Set([
  'depth',
  'width',
  'holdout',
  'trainLimit',
  'valLimit',
  'epochs',
  'steps',
  'batchSize',
  'seed',
  'logEvery',
  'checkpointEvery',
  'keep',
]);
const NUMBER_FLAGS = new Set(['lr', 'momentum', 'weightDecay']);
/**
 * Decimal notation only: no hex (0x10), octal (0o20), binary, exponent (1e3), Infinity or spaces.
 * A sign or a fraction passes here so that the range check says what is wrong with -1 or 12.5.
 */
const INTEGER = /^-?(\d+\.?\d*|\.\d+)$/;
const DECIMAL = /^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * Refuses what JavaScript's Number() would quietly accept or a comma list would quietly drop: an
 * empty value (`--dataset ''` is not the default data set), `0x10` for 16, `1e3` for an integer,
 * a blank, or an empty item in a comma list (`--lr 0.1,,0.2`). Checked on the text as typed, item
 * by item (compare splits lists later), so each message names the flag and the item.
 */
function strictValue(key: string, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const flag = `--${key.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`)}`;
  if (value.trim() === '') {
    throw new UserError(`${flag} needs a value; got an empty one. Leave the flag out for its default.`);
  }
  const items = value.split(',');
  if (items.length > 1 && items.some((i) => i.trim() === '')) {
    throw new UserError(
      `${flag} has an empty item in its comma list ("${value}"); give each value once, e.g. ${flag} ${items.filter((i) => i.trim() !== '').join(',')}.`,
    );
  }
  for (const item of items.map((i) => i.trim())) {
    if (INTEGER_FLAGS.has(key) && !INTEGER.test(item)) {
      throw new UserError(`${flag} must be a whole number written in decimal digits (like 20); got "${item}".`);
    }
    if (NUMBER_FLAGS.has(key) && !DECIMAL.test(item)) {
      throw new UserError(`${flag} must be a decimal number (like 0.05 or 1e-4); got "${item}".`);
    }
  }
  return value;
}
