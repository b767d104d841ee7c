import { UserError } from '../errors.js';

/**
 * Everything that defines a training run. It is stored in run.json and in every checkpoint, so a run
 * can be resumed (and a checkpoint of a different architecture refused) without the original flags.
 * This module has no tfjs import: the CLI validates flags on the main thread before any worker starts.
 */
export const NETS = ['mlp', 'cnn'] as const;
export const ARCHS = ['plain', 'residual', 'residual-bn'] as const;
export const BLOCKS = ['basic', 'bottleneck'] as const;
/**
 * Residual block orders from the lecture: `post` is He et al. 2015 (ReLU after the addition), `branch`
 * keeps the ReLU inside the branch only (the block can add and subtract), `preact` is He et al. 2016
 * (BN-ReLU-weight, the identity path untouched).
 */
export const BLOCK_ORDERS = ['post', 'branch', 'preact'] as const;
export const OPTIMIZERS = ['sgd', 'momentum', 'adam'] as const;
export const SCHEDULES = ['constant', 'step', 'cosine'] as const;

export type Net = (typeof NETS)[number];
export type Arch = (typeof ARCHS)[number];
export type Block = (typeof BLOCKS)[number];
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
}

export interface TrainConfig extends ModelConfig {
  readonly dataset: string;
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

type Raw = Record<string, unknown>;

/**
 * Checks user-given options (CLI flags or a lesson's experiment block) and fills in defaults.
 * Throws a UserError naming the flag and what was expected; `source` says where the values came from
 * ("flag" for the CLI, or e.g. "lessons/03-residual.md line 40").
 */
export function resolveConfig(raw: Raw, source = 'flag'): TrainConfig {
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
  const optionalInt = (name: string, min: number) =>
    raw[name] === undefined || raw[name] === null ? null : num(name, 0, { int: true, min });

  const net = pick('net', NETS, DEFAULT_CONFIG.net);
  const block = pick('block', BLOCKS, DEFAULT_CONFIG.block);
  const depth = num('depth', net === 'cnn' ? DEFAULT_CNN_DEPTH : DEFAULT_CONFIG.depth, { int: true, min: 1, max: 1202 });
  if (net === 'cnn') {
    const per = block === 'bottleneck' ? 9 : 6;
    if ((depth - 2) % per !== 0 || depth < per + 2) {
      const examples = block === 'bottleneck' ? '29, 56, 110, 164' : '8, 14, 20, 32, 44, 56, 110';
      throw new UserError(
        `${where('depth')} for --net cnn with ${block} blocks must be ${per}n+2 (three stages of n blocks, plus the first convolution and the classifier), e.g. ${examples}; got ${depth}.`,
      );
    }
  }
  const width = num('width', net === 'cnn' ? DEFAULT_CNN_WIDTH : DEFAULT_CONFIG.width, { int: true, min: 1, max: 4096 });
  if (block === 'bottleneck' && net === 'mlp') {
    throw new UserError(`${where('block')} bottleneck applies to --net cnn only (an MLP block is two linear layers).`);
  }
  const steps = optionalInt('steps', 1);
  const config: TrainConfig = {
    net,
    arch: pick('arch', ARCHS, DEFAULT_CONFIG.arch),
    depth,
    width,
    block,
    blockOrder: pick('blockOrder', BLOCK_ORDERS, DEFAULT_CONFIG.blockOrder),
    dataset: typeof raw.dataset === 'string' && raw.dataset !== '' ? raw.dataset : DEFAULT_CONFIG.dataset,
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
  return { net: c.net, arch: c.arch, depth: c.depth, width: c.width, block: c.block, blockOrder: c.blockOrder };
}

/** Lists how two architectures differ, for refusing a foreign checkpoint; empty when they match. */
export function architectureDiff(a: ModelConfig, b: ModelConfig): string[] {
  const out: string[] = [];
  for (const key of ['net', 'arch', 'depth', 'width', 'block', 'blockOrder'] as const) {
    if (a[key] !== b[key]) out.push(`${key} ${String(a[key])} vs ${String(b[key])}`);
  }
  return out;
}

/** A one-line description for headers and listings, e.g. "cnn residual-bn d20 w16". */
export function describeModel(c: ModelConfig): string {
  const extra = [c.block !== 'basic' ? c.block : '', c.blockOrder !== 'post' ? `order=${c.blockOrder}` : ''].filter(Boolean).join(' ');
  return `${c.net} ${c.arch} d${c.depth} w${c.width}${extra ? ` ${extra}` : ''}`;
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`);
}
