import { UserError } from '../util/errors.js';

/**
 * Everything that defines a training run. It is stored in run.json and in every checkpoint, so a run
 * can be resumed (and a checkpoint of a different architecture refused) without the original flags.
 * This module has no tfjs import: the CLI validates flags on the main thread before any worker starts.
 */
export const NETS = ['mlp', 'cnn', 'unet'] as const;
/**
 * `densenet` is a CNN only (dense blocks concatenate instead of adding). For `--net unet`, `plain` means
 * without the skip concatenations and `residual-bn` (or `residual`) with them.
 */
export const ARCHS = ['plain', 'plain-bn', 'residual', 'residual-bn', 'densenet'] as const;
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
export const BLOCKS = ['basic', 'bottleneck'] as const;
/**
 * Residual block orders from the lecture: `post` is He et al. 2015 (ReLU after the addition), `branch`
 * keeps the ReLU inside the branch only (the block can add and subtract), `preact` is He et al. 2016
 * (BN-ReLU-weight, the identity path untouched).
 */
export const BLOCK_ORDERS = ['post', 'branch', 'preact'] as const;
/**
 * Shortcuts where a block changes shape: `projection` is a 1x1 convolution with the block's stride
 * (and BN), He et al. 2015's option B; `zero-pad` is their option A, parameter-free: the input
 * subsampled with the stride and the extra channels zero (the option their CIFAR-10 nets use).
 */
export const SHORTCUTS = ['projection', 'zero-pad'] as const;
/** `crop-flip`: He et al. 2015's CIFAR-10 augmentation, 4-pixel zero padding, a random crop back to size, a random horizontal flip. */
export const AUGMENTS = ['none', 'crop-flip'] as const;
/**
 * Named recipes: every field of a paper's setting at once (explicit flags still override).
 * `he2015-cifar`: He et al. 2015, section 4.2, ResNet-20 on CIFAR-10; 8.75% test error in their
 * Table 6 (a GPU job: 64k steps of batch 128).
 */
export const RECIPES = ['he2015-cifar'] as const;
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
export const OPTIMIZERS = ['sgd', 'momentum', 'adam'] as const;
export const SCHEDULES = ['constant', 'step', 'cosine'] as const;

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

export const DEFAULT_CONFIG: TrainConfig = {
  net: 'mlp',
  arch: 'residual-bn',
  depth: 8,
  width: 128,
  block: 'basic',
  blockOrder: 'post',
  dataset: 'fashion-mnist',
  trainLimit: null,
  valLimit: null,
  steps: null,
  epochs: 1,
  batchSize: 64,
  lr: 0.05,
  optimizer: 'momentum',
  momentum: 0.9,
  weightDecay: 0,
  schedule: 'constant',
  seed: 1,
  logEvery: 10,
  checkpointEvery: 500,
  keep: 3,
};

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
 * Throws a UserError naming the flag and what was expected; `source` says where the values came from
 * ("flag" for the CLI, or e.g. "lessons/03-residual.md line 40").
 */
export function resolveConfig(given: Raw, source = 'flag'): TrainConfig {
  let raw = given;
  const where = (name: string) => (source === 'flag' ? `--${kebab(name)}` : `\`${name}\` in ${source}`);
  const pick = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const v = raw[name];
    if (v === undefined || v === null) return fallback;
    if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
    throw new UserError(`${where(name)} must be one of ${allowed.join(', ')}; got "${String(v)}".`);
  };
  const num = (name: string, fallback: number, opts: { int?: boolean; min?: number; max?: number; minExclusive?: boolean }) => {
    const v = raw[name];
    if (v === undefined || v === null) return fallback;
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    const kind = opts.int ? 'an integer' : 'a number';
    const range = opts.min !== undefined ? ` ${opts.minExclusive ? 'greater than' : 'at least'} ${opts.min}` : '';
    const bad = () =>
      new UserError(
        `${where(name)} must be ${kind}${range}${opts.max !== undefined ? ` and at most ${opts.max}` : ''}; got "${String(v)}".`,
      );
    if (!Number.isFinite(n)) throw bad();
    if (opts.int && !Number.isInteger(n)) throw bad();
    if (opts.min !== undefined && (opts.minExclusive ? n <= opts.min : n < opts.min)) throw bad();
    if (opts.max !== undefined && n > opts.max) throw bad();
    return n;
  };
  const recipe = raw.recipe;
  if (recipe !== undefined && recipe !== null) {
    if (typeof recipe !== 'string' || !(RECIPES as readonly string[]).includes(recipe)) {
      throw new UserError(`${where('recipe')} must be one of ${RECIPES.join(', ')}; got "${String(recipe)}".`);
    }
    const fields = RECIPE_FIELDS[recipe as (typeof RECIPES)[number]];
    raw = { ...fields, ...Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v !== null)) };
  }
  const optionalInt = (name: string, min: number) =>
    raw[name] === undefined || raw[name] === null ? null : num(name, 0, { int: true, min });

  const net = pick('net', NETS, DEFAULT_CONFIG.net);
  const arch = pick('arch', ARCHS, DEFAULT_CONFIG.arch);
  const block = pick('block', BLOCKS, DEFAULT_CONFIG.block);
  if (arch === 'densenet' && net !== 'cnn') {
    throw new UserError(
      `${where('arch')} densenet applies to --net cnn only (dense blocks concatenate convolutional feature maps); got --net ${net}. Use --net cnn --arch densenet.`,
    );
  }
  const densenet = arch === 'densenet';
  const defaultDepth =
    net === 'unet' ? UNET_DEPTH : densenet ? DEFAULT_DENSENET_DEPTH : net === 'cnn' ? DEFAULT_CNN_DEPTH : DEFAULT_CONFIG.depth;
  // A U-Net's depth is fixed: a given --depth is ignored (stored as the fixed value).
  const depth = net === 'unet' ? UNET_DEPTH : num('depth', defaultDepth, { int: true, min: 1, max: 1202 });
  if (densenet) {
    if ((depth - 4) % 3 !== 0 || depth < 7) {
      throw new UserError(
        `${where('depth')} for --arch densenet must be 3n+4 (three dense blocks of n layers, plus the first convolution, two transition convolutions and the classifier), e.g. 7, 10, 16, 22, 40; got ${depth}.`,
      );
    }
    if (block !== 'basic')
      throw new UserError(`${where('block')} ${block} does not apply to --arch densenet (a dense layer is BN-ReLU-conv3x3).`);
  } else if (net === 'cnn') {
    const per = block === 'bottleneck' ? 9 : 6;
    if ((depth - 2) % per !== 0 || depth < per + 2) {
      const examples = block === 'bottleneck' ? '29, 56, 110, 164' : '8, 14, 20, 32, 44, 56, 110';
      throw new UserError(
        `${where('depth')} for --net cnn with ${block} blocks must be ${per}n+2 (three stages of n blocks, plus the first convolution and the classifier), e.g. ${examples}; got ${depth}.`,
      );
    }
  }
  const defaultWidth =
    net === 'unet' ? DEFAULT_UNET_WIDTH : densenet ? DEFAULT_DENSENET_WIDTH : net === 'cnn' ? DEFAULT_CNN_WIDTH : DEFAULT_CONFIG.width;
  const width = num('width', defaultWidth, { int: true, min: 1, max: 4096 });
  if (block === 'bottleneck' && net !== 'cnn') {
    throw new UserError(`${where('block')} bottleneck applies to --net cnn only (an MLP block is two linear layers).`);
  }
  const blockOrder = pick('blockOrder', BLOCK_ORDERS, DEFAULT_CONFIG.blockOrder);
  if (blockOrder !== 'post' && (densenet || net === 'unet')) {
    throw new UserError(
      `${where('blockOrder')} ${blockOrder} applies to residual blocks; ${densenet ? 'a DenseNet layer is always BN-ReLU-conv' : 'a U-Net level is always conv-BN-ReLU'}, so leave it out.`,
    );
  }
  const steps = optionalInt('steps', 1);
  const shortcut = pick('shortcut', SHORTCUTS, 'projection');
  const augment = pick('augment', AUGMENTS, 'none');
  const config: TrainConfig = {
    net,
    arch,
    depth,
    width,
    block,
    blockOrder,
    shortcut,
    dataset: typeof raw.dataset === 'string' && raw.dataset !== '' ? raw.dataset : DEFAULT_CONFIG.dataset,
    augment,
    holdout: optionalInt('holdout', 1),
    trainLimit: optionalInt('trainLimit', 1),
    valLimit: optionalInt('valLimit', 1),
    steps,
    epochs: num('epochs', DEFAULT_CONFIG.epochs, { int: true, min: 1 }),
    batchSize: num('batchSize', DEFAULT_CONFIG.batchSize, { int: true, min: 1, max: 65536 }),
    lr: num('lr', DEFAULT_CONFIG.lr, { min: 0, minExclusive: true }),
    optimizer: pick('optimizer', OPTIMIZERS, DEFAULT_CONFIG.optimizer),
    momentum: num('momentum', DEFAULT_CONFIG.momentum, { min: 0, max: 0.9999 }),
    weightDecay: num('weightDecay', DEFAULT_CONFIG.weightDecay, { min: 0 }),
    schedule: pick('schedule', SCHEDULES, DEFAULT_CONFIG.schedule),
    seed: num('seed', DEFAULT_CONFIG.seed, { int: true, min: 0, max: 2 ** 32 - 1 }),
    logEvery: num('logEvery', DEFAULT_CONFIG.logEvery, { int: true, min: 1 }),
    checkpointEvery: num('checkpointEvery', DEFAULT_CONFIG.checkpointEvery, { int: true, min: 0 }),
    keep: num('keep', DEFAULT_CONFIG.keep, { int: true, min: 1 }),
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
    throw new UserError(
      `${where('net')} unet predicts a mask per pixel and needs a segmentation data set, but ${config.dataset} is a ${info.task} data set. Use ${where('dataset')} synthetic-segment, or --net cnn for ${config.dataset}.`,
    );
  }
  if (info.task === 'segmentation' && config.net !== 'unet') {
    throw new UserError(
      `${where('dataset')} ${config.dataset} is a segmentation data set (one target per pixel); only --net unet predicts masks. Use --net unet, or a classification data set such as fashion-mnist for --net ${config.net}.`,
    );
  }
  if (config.net === 'cnn' && info.inputShape.length !== 3) {
    throw new UserError(
      `${where('net')} cnn needs image data, but ${config.dataset} has examples of shape ${shape}. Use --net mlp, or ${where('dataset')} fashion-mnist, mnist or cifar10.`,
    );
  }
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`);
}
