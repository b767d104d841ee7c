/**
 * The probes' options: names, defaults and checks. No tfjs here (like config.ts): the CLI and the
 * lesson player check options on the main thread, before a worker starts, so a bad value is a
 * UserError with the flag's name rather than a failure deep in the engine. An error about one
 * option is a ConfigError naming it (the option name, e.g. `inputBias`), so the lesson check can
 * point at the line that set it.
 */
import { UserError } from '../util/errors.js';
import {
  ConfigError,
  RESIDUAL_ARCHS as ARCHS,
  hasBatchNorm,
  hasConvolutions,
  hasShortcuts,
  resolveConfig,
  type Arch,
  type BlockOrder,
  type ModelConfig,
  type Net,
  type TrainConfig,
} from './train-config.js';
import { DATASET_INFO, DATASET_NAMES, isDatasetName, type DatasetName } from '../data/index.js';

export const PROBE_NAMES = ['variance', 'shatter', 'paths', 'lesion', 'bn-scale'] as const;
export type ProbeName = (typeof PROBE_NAMES)[number];

/** One line per probe, for `--help` and error messages. */
export const PROBE_SUMMARIES: Readonly<Record<ProbeName, string>> = {
  variance: 'variance of each block output at initialisation: plain vs residual vs residual-bn',
  shatter: 'gradients dy/dx over a 1-D input grid and their autocorrelation: shattered or not',
  paths: 'a residual net as an ensemble of 2^K paths, and how much gradient each path length carries',
  lesion: 'remove one block at a time from a trained run and measure validation accuracy',
  'bn-scale': "a trained run's learned BatchNorm scales gamma, block by block (the effective depth)",
};

export function isProbeName(name: string): name is ProbeName {
  return (PROBE_NAMES as readonly string[]).includes(name);
}

export function unknownProbe(name: string): UserError {
  return new UserError(
    `Unknown probe "${name}". The probes are: ${PROBE_NAMES.map((p) => `${p} (${PROBE_SUMMARIES[p]})`).join('; ')}. ` +
      'Run e.g. `resnet-tutor probe variance`, or `resnet-tutor probe --help` for the options.',
  );
}

/**
 * Block order for initialised nets: `branch` is the lecture's h_k = h_{k-1} + f_k[h_{k-1}] with
 * no ReLU after the addition and a branch that ends with a linear layer (and BN).
 */
export const PROBE_BLOCK_ORDER: BlockOrder = 'branch';

/** A run the probe reads: resolved on the main thread (run.json), loaded in the worker. */
export interface RunRef {
  readonly id: string;
  readonly path: string;
  readonly config: TrainConfig;
}

interface Common {
  /** tfjs backend the worker loads ('auto' by default). */
  readonly backend?: string;
}

export interface VarianceOptions extends Common {
  readonly net: Net;
  readonly archs: readonly Arch[];
  /** MLP: blocks. CNN: weight layers, 6n+2. */
  readonly depth: number;
  readonly width: number;
  readonly blockOrder: BlockOrder;
  readonly seed: number;
  /** Real inputs the variances are measured over. */
  readonly batchSize: number;
  readonly dataset: DatasetName;
  /** Independent initialisations averaged (the lecture's variance is an expectation over the weights). */
  readonly repeats: number;
}

export interface ShatterOptions extends Common {
  /** Blocks of the deep nets (the shallow net has one). */
  readonly depth: number;
  readonly width: number;
  readonly blockOrder: BlockOrder;
  readonly seed: number;
  /** Grid points: on [-2, 2], or `spacing` apart and centred on 0. */
  readonly points: number;
  /** Distance between neighbouring inputs; null: `points` spread over [-2, 2] (4/255 at 256 points). */
  readonly spacing: number | null;
  /** Standard deviation of the input layer's bias (0: every bias zero, as He init sets it). */
  readonly inputBias: number;
  /**
   * Every layer's bias at initialisation: U(−bias/√fan_in, bias/√fan_in), so 1 is PyTorch's nn.Linear
   * default and 0 sets every bias to zero (a zero-bias ReLU net without BatchNorm is positively
   * homogeneous, so on a 1-D input its gradient can only change at x = 0).
   */
  readonly bias: number;
}

export interface PathsOptions extends Common {
  /** The net to probe when no run is given (an initialised one). */
  readonly model: ModelConfig;
  readonly run: RunRef | null;
  readonly seed: number;
  readonly batchSize: number;
  readonly dataset: DatasetName;
  /** Random subsets of blocks measured per path length. */
  readonly samples: number;
}

export interface LesionOptions extends Common {
  readonly run: RunRef;
  /** Validation examples evaluated (null: the whole validation split). */
  readonly limit: number | null;
}

export interface BnScaleOptions extends Common {
  readonly run: RunRef;
}

export type ProbeRequest =
  | { readonly probe: 'variance'; readonly options: VarianceOptions }
  | { readonly probe: 'shatter'; readonly options: ShatterOptions }
  | { readonly probe: 'paths'; readonly options: PathsOptions }
  | { readonly probe: 'lesion'; readonly options: LesionOptions }
  | { readonly probe: 'bn-scale'; readonly options: BnScaleOptions };

/** Whether the probe's net has convolutions (which makes the multi-threaded wasm build pay). */
export function probeIsConvolutional(request: ProbeRequest): boolean {
  switch (request.probe) {
    case 'variance':
      return hasConvolutions(request.options.net);
    case 'paths':
      return hasConvolutions((request.options.run?.config ?? request.options.model).net);
    case 'lesion':
      return hasConvolutions(request.options.run.config.net);
    case 'shatter':
    case 'bn-scale':
      return false;
  }
}

export const DEFAULTS = {
  variance: { mlp: { depth: 32, width: 256, batchSize: 256, repeats: 4 }, cnn: { depth: 56, width: 16, batchSize: 64, repeats: 1 } },
  shatter: { depth: 24, width: 200, points: 256, inputBias: 0, bias: 1 },
  paths: {
    arch: 'residual-bn' as Arch,
    mlp: { depth: 16, width: 128, batchSize: 128 },
    cnn: { depth: 20, width: 16, batchSize: 32 },
    samples: 4,
  },
  lesion: { limit: 2000 },
  seed: 1,
  dataset: 'fashion-mnist' as DatasetName,
} as const;

type Raw = Readonly<Record<string, unknown>>;

/** Reads options given as flags (strings) or by a lesson (numbers), with the flag's name in errors. */
class Reader {
  constructor(
    private readonly raw: Raw,
    private readonly source: string,
  ) {}

  where(name: string): string {
    return this.source === 'flag' ? `--${name.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`)}` : `\`${name}\` in ${this.source}`;
  }

  has(name: string): boolean {
    return this.raw[name] !== undefined && this.raw[name] !== null && this.raw[name] !== '';
  }

  get(name: string): unknown {
    return this.raw[name];
  }

  number(name: string, fallback: number, opts: { int?: boolean; min: number; max: number }): number {
    if (!this.has(name)) return fallback;
    const v = this.raw[name];
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    if (!Number.isFinite(n) || (opts.int && !Number.isInteger(n)) || n < opts.min || n > opts.max) {
      throw new ConfigError(
        name,
        `${this.where(name)} must be ${opts.int ? 'an integer' : 'a number'} from ${opts.min} to ${opts.max}; got "${String(v)}".`,
      );
    }
    return n;
  }

  dataset(): DatasetName {
    if (!this.has('dataset')) return DEFAULTS.dataset;
    const name = String(this.raw.dataset);
    if (!isDatasetName(name))
      throw new ConfigError('dataset', `${this.where('dataset')} must be one of ${DATASET_NAMES.join(', ')}; got "${name}".`);
    return name;
  }
}

/** The model fields, checked by the same rules as `train` (depth >= 1, CNN depth 6n+2, ...). */
function modelConfig(r: Reader, raw: Raw, source: string, arch: Arch, fallback: { depth: number; width: number }): TrainConfig {
  const pick = (k: string) => (r.has(k) ? raw[k] : undefined);
  return resolveConfig(
    {
      net: pick('net'),
      arch,
      depth: pick('depth') ?? fallback.depth,
      width: pick('width') ?? fallback.width,
      block: pick('block'),
      blockOrder: pick('blockOrder') ?? PROBE_BLOCK_ORDER,
      seed: pick('seed'),
    },
    source,
  );
}

/** The probes take apart residual blocks: a DenseNet or U-Net run has none to probe. */
function probedNet(run: RunRef): Exclude<Net, 'unet'> {
  const { net, arch } = run.config;
  if (net === 'unet' || arch === 'densenet') {
    throw new UserError(
      `Run ${run.id} is a ${net === 'unet' ? 'U-Net' : 'DenseNet'}; the probes take apart residual blocks, so they apply to plain, residual and residual-bn runs of --net mlp or cnn.`,
    );
  }
  return net;
}

function netOf(r: Reader): Exclude<Net, 'unet'> {
  return r.has('net') && String(r.get('net')) === 'cnn' ? 'cnn' : 'mlp';
}

function checkCnnData(net: Net, dataset: DatasetName, r: Reader): void {
  const shape = DATASET_INFO[dataset].inputShape;
  if (DATASET_INFO[dataset].task === 'segmentation') {
    throw new ConfigError(
      'dataset',
      `${r.where('dataset')} ${dataset} is a segmentation data set; the probes work on classification and regression data sets such as fashion-mnist.`,
    );
  }
  if (net === 'cnn' && shape.length !== 3) {
    throw new ConfigError(
      'net',
      `${r.where('net')} cnn needs image data, but ${dataset} has examples of shape [${shape.join(', ')}]. Use ${r.where('dataset')} fashion-mnist, mnist or cifar10, or --net mlp.`,
    );
  }
}

function parseArchs(r: Reader): Arch[] {
  if (!r.has('arch')) return [...ARCHS];
  const parts = String(r.get('arch'))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = parts.filter((p) => !(ARCHS as readonly string[]).includes(p));
  if (parts.length === 0 || bad.length > 0) {
    throw new ConfigError(
      'arch',
      `${r.where('arch')} must be one of ${ARCHS.join(', ')}, or a comma list of them; got "${String(r.get('arch'))}".`,
    );
  }
  return [...new Set(parts)] as Arch[];
}

function backendOf(r: Reader): { backend?: string } {
  return r.has('backend') ? { backend: String(r.get('backend')) } : {};
}

export function resolveVarianceOptions(raw: Raw, source = 'flag'): VarianceOptions {
  const r = new Reader(raw, source);
  const net = netOf(r);
  const d = DEFAULTS.variance[net];
  const archs = parseArchs(r);
  const config = modelConfig(r, raw, source, archs[0]!, d);
  const dataset = r.dataset();
  checkCnnData(config.net, dataset, r);
  return {
    ...backendOf(r),
    net: config.net,
    archs,
    depth: config.depth,
    width: config.width,
    blockOrder: config.blockOrder,
    seed: config.seed,
    batchSize: r.number('batchSize', d.batchSize, { int: true, min: 2, max: 4096 }),
    dataset,
    repeats: r.number('repeats', d.repeats, { int: true, min: 1, max: 32 }),
  };
}

export function resolveShatterOptions(raw: Raw, source = 'flag'): ShatterOptions {
  const r = new Reader(raw, source);
  if (netOf(r) === 'cnn') {
    throw new ConfigError(
      'net',
      `The shatter probe feeds a 1-D input (a grid of x values) to MLPs; ${r.where('net')} cnn does not apply. Leave ${r.where('net')} out.`,
    );
  }
  if (r.has('arch')) {
    throw new ConfigError(
      'arch',
      `The shatter probe always compares the same nets (a 1-block net, plain, plain with BN, residual, residual-bn); ${r.where('arch')} does not apply. Use ${r.where('depth')} and ${r.where('width')} to change them.`,
    );
  }
  const d = DEFAULTS.shatter;
  const config = modelConfig(r, raw, source, 'plain', d);
  return {
    ...backendOf(r),
    depth: config.depth,
    width: config.width,
    blockOrder: config.blockOrder,
    seed: config.seed,
    points: r.number('points', d.points, { int: true, min: 16, max: 4096 }),
    inputBias: r.number('inputBias', d.inputBias, { min: 0, max: 100 }),
    bias: r.number('bias', d.bias, { min: 0, max: 100 }),
    spacing: r.has('spacing') ? r.number('spacing', 0, { min: 1e-6, max: 1 }) : null,
  };
}

/** `run` is the run already found and read on the main thread, or null for an initialised net. */
export function resolvePathsOptions(raw: Raw, run: RunRef | null, source = 'flag'): PathsOptions {
  const r = new Reader(raw, source);
  const common = {
    ...backendOf(r),
    samples: r.number('samples', DEFAULTS.paths.samples, { int: true, min: 1, max: 64 }),
  };
  if (run) {
    for (const k of ['net', 'arch', 'depth', 'width', 'block', 'blockOrder', 'dataset']) {
      if (r.has(k))
        throw new ConfigError(k, `${r.where(k)} does not apply with a run: the paths probe uses the run's own network and data set.`);
    }
    if (!hasShortcuts(run.config.arch)) throw plainPaths(`Run ${run.id} is a plain network`);
    const d = DEFAULTS.paths[probedNet(run)];
    return {
      ...common,
      model: run.config,
      run,
      seed: run.config.seed,
      batchSize: r.number('batchSize', d.batchSize, { int: true, min: 2, max: 4096 }),
      dataset: isDatasetName(run.config.dataset) ? run.config.dataset : DEFAULTS.dataset,
    };
  }
  const net = netOf(r);
  const d = DEFAULTS.paths[net];
  const arch = r.has('arch') ? String(r.get('arch')) : DEFAULTS.paths.arch;
  if (arch === 'plain' || arch === 'plain-bn') throw plainPaths(`${r.where('arch')} ${arch} is a plain network`, 'arch');
  if (!(ARCHS as readonly string[]).includes(arch)) {
    throw new ConfigError('arch', `${r.where('arch')} must be residual or residual-bn for the paths probe; got "${arch}".`);
  }
  const config = modelConfig(r, raw, source, arch as Arch, d);
  const dataset = r.dataset();
  checkCnnData(config.net, dataset, r);
  return {
    ...common,
    model: config,
    run: null,
    seed: config.seed,
    batchSize: r.number('batchSize', d.batchSize, { int: true, min: 2, max: 4096 }),
    dataset,
  };
}

/** `field` when an option made the net plain (a ConfigError about it), none when the run is plain. */
function plainPaths(what: string, field?: string): UserError {
  const message =
    `${what}: it has exactly one path from input to output (through every block), so there is no ensemble of paths to count. ` +
    'The paths probe needs a residual network: use --arch residual or residual-bn, or a run trained with one.';
  return field ? new ConfigError(field, message) : new UserError(message);
}

export function resolveLesionOptions(raw: Raw, run: RunRef, source = 'flag'): LesionOptions {
  const r = new Reader(raw, source);
  for (const k of ['net', 'arch', 'depth', 'width', 'block', 'blockOrder', 'dataset']) {
    if (r.has(k)) throw new ConfigError(k, `${r.where(k)} does not apply to the lesion probe: it uses the run's own network and data set.`);
  }
  probedNet(run);
  const fallback = run.config.valLimit ?? DEFAULTS.lesion.limit;
  return {
    ...backendOf(r),
    run,
    limit: r.number('limit', Math.min(fallback, DEFAULTS.lesion.limit), { int: true, min: 1, max: 1_000_000 }),
  };
}

export function resolveBnScaleOptions(raw: Raw, run: RunRef, source = 'flag'): BnScaleOptions {
  const r = new Reader(raw, source);
  for (const k of ['net', 'arch', 'depth', 'width', 'block', 'blockOrder', 'dataset', 'seed']) {
    if (r.has(k))
      throw new ConfigError(k, `${r.where(k)} does not apply to the bn-scale probe: it reads the run's own learned BatchNorm scales.`);
  }
  probedNet(run);
  if (!hasBatchNorm(run.config.arch)) {
    throw new UserError(
      `Run ${run.id} is a ${run.config.arch} network without BatchNorm, so it has no learned scales to read. The bn-scale probe needs a run trained with --arch residual-bn or plain-bn.`,
    );
  }
  return { ...backendOf(r), run };
}

/** Binomial coefficient C(n, k) exactly. */
export function binomialExact(n: number, k: number): bigint {
  if (k < 0 || k > n) return 0n;
  const kk = BigInt(Math.min(k, n - k));
  let out = 1n;
  for (let i = 1n; i <= kk; i++) out = (out * (BigInt(n) - kk + i)) / i;
  return out;
}
