/**
 * Everything that defines a training run. It is stored in run.json and in every checkpoint, so a run
 * can be resumed (and a checkpoint of a different architecture refused) without the original flags.
 * This module has no tfjs import: the CLI validates flags on the main thread before any worker starts.
 */
import { ConfigError, readField, TRAIN_FIELD_TABLE, trainField, type FieldName } from './train-fields.js';
import type { ARCHS, AUGMENTS, BLOCK_ORDERS, BLOCKS, NETS, OPTIMIZERS, RECIPES, SCHEDULES, SHORTCUTS } from './train-fields.js';

export { ConfigError } from './train-fields.js';
export { ARCHS, AUGMENTS, BLOCK_ORDERS, BLOCKS, NETS, OPTIMIZERS, RECIPES, SCHEDULES, SHORTCUTS } from './train-fields.js';

/**
 * The lecture's twins, which the probes compare (DenseNet has no residual blocks to probe). `plain-bn`
 * is He et al. 2015's plain baseline: the residual-bn net without its shortcuts (BatchNorm kept), the
 * setting in which deeper plain nets train worse with healthy gradients (degradation).
 */
export const RESIDUAL_ARCHS = ['plain', 'plain-bn', 'residual', 'residual-bn'] as const;

/** Whether an architecture adds its blocks' input back (h_k = h_{k-1} + f_k); plain twins do not. */
export function hasShortcuts(arch: Arch): boolean {
  return arch === 'residual' || arch === 'residual-bn';
}

/** Whether an architecture normalises inside its blocks (BatchNorm). DenseNet always does. */
export function hasBatchNorm(arch: Arch): boolean {
  return arch === 'residual-bn' || arch === 'plain-bn' || arch === 'densenet';
}
export const RECIPE_FIELDS: Readonly<Record<(typeof RECIPES)[number], Readonly<Record<string, unknown>>>> = {
  'he2015-cifar': {
    net: 'cnn',
    arch: 'residual-bn',
    depth: 20,
    width: 16,
    block: 'basic',
    blockOrder: 'post',
    shortcut: 'zero-pad',
    augment: 'crop-flip',
    dataset: 'cifar10',
    holdout: 5000,
    batchSize: 128,
    lr: 0.1,
    optimizer: 'momentum',
    momentum: 0.9,
    weightDecay: 1e-4,
    // x0.1 at 50% and 75% of 64k steps: at 32k and 48k, as in the paper.
    schedule: 'step',
    steps: 64000,
  },
};

export type Net = (typeof NETS)[number];
export type Arch = (typeof ARCHS)[number];

/** Every net but the MLP is built of convolutions (which is what makes wasm's threads pay). */
export function hasConvolutions(net: Net): boolean {
  return net !== 'mlp';
}
export type Block = (typeof BLOCKS)[number];
export type Shortcut = (typeof SHORTCUTS)[number];
export type Augment = (typeof AUGMENTS)[number];

/** The shortcut type; runs written before the field existed used projections. */
export function shortcutOf(c: Pick<ModelConfig, 'shortcut'>): Shortcut {
  return c.shortcut ?? 'projection';
}

/** The augmentation; runs written before the field existed used none. */
export function augmentOf(c: Pick<TrainConfig, 'augment'>): Augment {
  return c.augment ?? 'none';
}
export type BlockOrder = (typeof BLOCK_ORDERS)[number];
export type OptimizerName = (typeof OPTIMIZERS)[number];
export type ScheduleName = (typeof SCHEDULES)[number];

export interface ModelConfig {
  readonly net: Net;
  readonly arch: Arch;
  /** MLP: number of blocks (two linear layers each). CNN: weight layers, 6n+2 (basic) or 9n+2 (bottleneck). */
  readonly depth: number;
  /** MLP: hidden units. CNN: channels of the first stage (the stages use 1x, 2x, 4x). */
  readonly width: number;
  readonly block: Block;
  readonly blockOrder: BlockOrder;
  /** Absent in runs written before it existed: read it with `shortcutOf` (projection). */
  readonly shortcut?: Shortcut;
}

export interface TrainConfig extends ModelConfig {
  readonly dataset: string;
  /** Absent in runs written before it existed: read it with `augmentOf` (none). */
  readonly augment?: Augment;
  /**
   * Hold out this many training examples as the validation split (instead of the data set's test
   * split); null or absent: validate on the test split. He et al. 2015 hold out 5k of CIFAR-10's 50k.
   */
  readonly holdout?: number | null;
  /** Keep at most this many training examples (tiny lesson and test configurations). */
  readonly trainLimit: number | null;
  readonly valLimit: number | null;
  /** Stop after this many optimiser steps; when null, after `epochs` passes over the training set. */
  readonly steps: number | null;
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly optimizer: OptimizerName;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly schedule: ScheduleName;
  readonly seed: number;
  /** Write a metrics line every this many steps. */
  readonly logEvery: number;
  /** Write a checkpoint every this many steps (0: only at epoch ends and on stop). */
  readonly checkpointEvery: number;
  /** Keep the newest this many checkpoints. */
  readonly keep: number;
}

/**
 * The defaults of every stored field, from the field table (depth and width: the MLP's; a CNN's are
 * below). Optional fields absent from old runs (`shortcut`, `augment`, `holdout`) have their defaults too.
 */
export const DEFAULT_CONFIG: TrainConfig = Object.fromEntries(
  TRAIN_FIELD_TABLE.filter((f) => f.field !== 'recipe').map((f) => [f.field, f.default]),
) as unknown as TrainConfig;

/** Default width when `--width` is not given: the CIFAR ResNet's 16 channels for CNNs. */
export const DEFAULT_CNN_WIDTH = 16;
export const DEFAULT_CNN_DEPTH = 20;
/** DenseNet: growth rate k (`--width`) and conv layers 3n+4 (`--depth`). */
export const DEFAULT_DENSENET_WIDTH = 12;
export const DEFAULT_DENSENET_DEPTH = 16;
/** U-Net: base channels (`--width`); its depth is fixed (2 down levels, a bottleneck, 2 up levels). */
export const DEFAULT_UNET_WIDTH = 8;
export const UNET_DEPTH = 5;

type Raw = Record<string, unknown>;

/**
 * Checks user-given options (CLI flags or a lesson's experiment block) and fills in defaults.
 * Throws a ConfigError (a UserError with the field) naming the flag and what was expected; `source` says where the values came from
 * ("flag" for the CLI, or e.g. "lessons/03-residual.md line 40").
 */
export function resolveConfig(given: Raw, source = 'flag'): TrainConfig {
  let raw = given;
  const where = (name: string) => (source === 'flag' ? `--${kebab(name)}` : `\`${name}\` in ${source}`);
  // Type, range and choices come from the field table; the rules between fields are below.
  const read = <T extends string | number | null>(name: FieldName, fallback?: T): T =>
    readField(trainField(name), raw[name], where(name), fallback) as T;
  const recipe = read<(typeof RECIPES)[number] | null>('recipe');
  if (recipe !== null) {
    const fields = RECIPE_FIELDS[recipe];
    raw = { ...fields, ...Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v !== null)) };
  }

  const net = read<Net>('net');
  const arch = read<Arch>('arch');
  const block = read<Block>('block');
  if (arch === 'densenet' && net !== 'cnn') {
    throw new ConfigError(
      'arch',
      `${where('arch')} densenet applies to --net cnn only (dense blocks concatenate convolutional feature maps); got --net ${net}. Use --net cnn --arch densenet.`,
    );
  }
  const densenet = arch === 'densenet';
  const defaultDepth =
    net === 'unet' ? UNET_DEPTH : densenet ? DEFAULT_DENSENET_DEPTH : net === 'cnn' ? DEFAULT_CNN_DEPTH : DEFAULT_CONFIG.depth;
  // A U-Net's depth is fixed: a given --depth is ignored (stored as the fixed value).
  const depth = net === 'unet' ? UNET_DEPTH : read<number>('depth', defaultDepth);
  if (densenet) {
    if ((depth - 4) % 3 !== 0 || depth < 7) {
      throw new ConfigError(
        'depth',
        `${where('depth')} for --arch densenet must be 3n+4 (three dense blocks of n layers, plus the first convolution, two transition convolutions and the classifier), e.g. 7, 10, 16, 22, 40; got ${depth}.`,
      );
    }
    if (block !== 'basic')
      throw new ConfigError('block', `${where('block')} ${block} does not apply to --arch densenet (a dense layer is BN-ReLU-conv3x3).`);
  } else if (net === 'cnn') {
    const per = block === 'bottleneck' ? 9 : 6;
    if ((depth - 2) % per !== 0 || depth < per + 2) {
      const examples = block === 'bottleneck' ? '29, 56, 110, 164' : '8, 14, 20, 32, 44, 56, 110';
      throw new ConfigError(
        'depth',
        `${where('depth')} for --net cnn with ${block} blocks must be ${per}n+2 (three stages of n blocks, plus the first convolution and the classifier), e.g. ${examples}; got ${depth}.`,
      );
    }
  }
  const defaultWidth =
    net === 'unet' ? DEFAULT_UNET_WIDTH : densenet ? DEFAULT_DENSENET_WIDTH : net === 'cnn' ? DEFAULT_CNN_WIDTH : DEFAULT_CONFIG.width;
  const width = read<number>('width', defaultWidth);
  if (block === 'bottleneck' && net !== 'cnn') {
    throw new ConfigError('block', `${where('block')} bottleneck applies to --net cnn only (an MLP block is two linear layers).`);
  }
  const blockOrder = read<BlockOrder>('blockOrder');
  if (blockOrder !== 'post' && (densenet || net === 'unet')) {
    throw new ConfigError(
      'blockOrder',
      `${where('blockOrder')} ${blockOrder} applies to residual blocks; ${densenet ? 'a DenseNet layer is always BN-ReLU-conv' : 'a U-Net level is always conv-BN-ReLU'}, so leave it out.`,
    );
  }
  const steps = read<number | null>('steps');
  const shortcut = read<Shortcut>('shortcut');
  const augment = read<Augment>('augment');
  const config: TrainConfig = {
    net,
    arch,
    depth,
    width,
    block,
    blockOrder,
    shortcut,
    dataset: read<string>('dataset'),
    augment,
    holdout: read<number | null>('holdout'),
    trainLimit: read<number | null>('trainLimit'),
    valLimit: read<number | null>('valLimit'),
    steps,
    epochs: read<number>('epochs'),
    batchSize: read<number>('batchSize'),
    lr: read<number>('lr'),
    optimizer: read<OptimizerName>('optimizer'),
    momentum: read<number>('momentum'),
    weightDecay: read<number>('weightDecay'),
    schedule: read<ScheduleName>('schedule'),
    seed: read<number>('seed'),
    logEvery: read<number>('logEvery'),
    checkpointEvery: read<number>('checkpointEvery'),
    keep: read<number>('keep'),
  };
  return config;
}

/** The part of the config that fixes the shapes of the weights: checkpoints must match it to load. */
export function architectureOf(c: ModelConfig): ModelConfig {
  return { net: c.net, arch: c.arch, depth: c.depth, width: c.width, block: c.block, blockOrder: c.blockOrder, shortcut: shortcutOf(c) };
}

/** Lists how two architectures differ, for refusing a foreign checkpoint; empty when they match. */
export function architectureDiff(a: ModelConfig, b: ModelConfig): string[] {
  const out: string[] = [];
  for (const key of ['net', 'arch', 'depth', 'width', 'block', 'blockOrder'] as const) {
    if (a[key] !== b[key]) out.push(`${key} ${String(a[key])} vs ${String(b[key])}`);
  }
  // Checkpoints written before the field existed have projection shortcuts.
  if (shortcutOf(a) !== shortcutOf(b)) out.push(`shortcut ${shortcutOf(a)} vs ${shortcutOf(b)}`);
  return out;
}

/** A one-line description for headers and listings, e.g. "cnn residual-bn d20 w16". */
export function describeModel(c: ModelConfig): string {
  const extra = [
    c.block !== 'basic' ? c.block : '',
    c.blockOrder !== 'post' ? `order=${c.blockOrder}` : '',
    shortcutOf(c) !== 'projection' ? `shortcut=${shortcutOf(c)}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return `${c.net} ${c.arch} d${c.depth} w${c.width}${extra ? ` ${extra}` : ''}`;
}

/**
 * Refuses a network that cannot work on a data set: CNNs and U-Nets need images, a U-Net needs a
 * segmentation data set and a segmentation data set needs a U-Net. `where` names the flag or field.
 */
export function checkNetForData(
  config: ModelConfig & { readonly dataset: string },
  info: { readonly inputShape: readonly number[]; readonly task: string },
  where: (name: string) => string = (name) => `--${kebab(name)}`,
): void {
  const shape = `[${info.inputShape.join(', ')}]`;
  if (config.net === 'unet' && info.task !== 'segmentation') {
    throw new ConfigError(
      'net',
      `${where('net')} unet predicts a mask per pixel and needs a segmentation data set, but ${config.dataset} is a ${info.task} data set. Use ${where('dataset')} synthetic-segment, or --net cnn for ${config.dataset}.`,
    );
  }
  if (info.task === 'segmentation' && config.net !== 'unet') {
    throw new ConfigError(
      'dataset',
      `${where('dataset')} ${config.dataset} is a segmentation data set (one target per pixel); only --net unet predicts masks. Use --net unet, or a classification data set such as fashion-mnist for --net ${config.net}.`,
    );
  }
  if (config.net === 'cnn' && info.inputShape.length !== 3) {
    throw new ConfigError(
      'net',
      `${where('net')} cnn needs image data, but ${config.dataset} has examples of shape ${shape}. Use --net mlp, or ${where('dataset')} fashion-mnist, mnist or cifar10.`,
    );
  }
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`);
}
