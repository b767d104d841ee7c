/**
 * `npm run gpu:check`: the report's shape, its options and the pure judgements (no tfjs here, so the
 * parent process and the tests can use them). See gpu-check.ts for what the check does.
 */

/** The GPU routes the check looks for. */
export const GPU_ROUTES = ['webgpu', 'node-gpu'] as const;
export type GpuRoute = (typeof GPU_ROUTES)[number];
/** Where throughput is measured: every GPU route and wasm (the CPU reference users have). */
export const THROUGHPUT_ROUTES = [...GPU_ROUTES, 'wasm'] as const;
export type ThroughputRoute = (typeof THROUGHPUT_ROUTES)[number];

/**
 * Every section says what happened: 'ok', 'failed' (it ran and something was wrong: the exit code
 * is nonzero), 'skipped' (it could not run here; `reason` says why), or 'pending' (not reached yet:
 * only in a report read while the check runs, or left by a check that was stopped).
 */
export type SectionStatus = 'ok' | 'failed' | 'skipped' | 'pending';

export interface Section {
  status: SectionStatus;
  reason?: string;
  /** Wall time of the section. */
  seconds?: number;
  [key: string]: unknown;
}

export interface GpuCheckOptions {
  readonly out: string;
  readonly allowSoftware: boolean;
  readonly trainSeconds: number;
  /** Also stop the training run after this many steps (null: only the time bounds it). */
  readonly trainSteps: number | null;
  /** The training run's learning rate (momentum 0.9, as He et al. 2015). */
  readonly lr: number;
  /** The route for the training run; null: the fastest available GPU route, else wasm. */
  readonly trainBackend: ThroughputRoute | null;
  readonly depth: number;
  readonly width: number;
  readonly batchSize: number;
  /** Timed steps per throughput route (after WARMUP_STEPS). */
  readonly steps: number;
  /** The first N parity families (null: all of them). */
  readonly parityFamilies: number | null;
  /** The whole check is stopped after this long (it must fit a GPU box's time slot). */
  readonly budgetSeconds: number;
}

export const WARMUP_STEPS = 2;

export interface GpuCheckReport {
  tool: 'resnet-tutor gpu:check';
  startedAt: string;
  finishedAt: string | null;
  /** Which section runs now (null when done). */
  current: string | null;
  host: Record<string, unknown>;
  options: GpuCheckOptions;
  /** 'pass' when nothing that ran failed; 'fail' otherwise (the exit code is 1). */
  verdict: 'pass' | 'fail' | 'running';
  /** The sections that failed, e.g. 'parity.webgpu'. */
  failed: string[];
  doctor: Section;
  routes: Record<GpuRoute, Section>;
  parity: Record<GpuRoute, Section>;
  throughput: Record<ThroughputRoute, Section>;
  training: Section;
}

export function emptyReport(options: GpuCheckOptions, host: Record<string, unknown>): GpuCheckReport {
  const pending = (): Section => ({ status: 'pending' });
  return {
    tool: 'resnet-tutor gpu:check',
    startedAt: new Date().toISOString(),
    finishedAt: null,
    current: null,
    host,
    options,
    verdict: 'running',
    failed: [],
    doctor: pending(),
    routes: { webgpu: pending(), 'node-gpu': pending() },
    parity: { webgpu: pending(), 'node-gpu': pending() },
    throughput: { webgpu: pending(), 'node-gpu': pending(), wasm: pending() },
    training: pending(),
  };
}

/** Every section with its dotted name, e.g. ['parity.webgpu', section]. */
export function sections(report: GpuCheckReport): [string, Section][] {
  const out: [string, Section][] = [['doctor', report.doctor]];
  for (const group of ['routes', 'parity', 'throughput'] as const) {
    for (const [route, s] of Object.entries(report[group])) out.push([`${group}.${route}`, s as Section]);
  }
  out.push(['training', report.training]);
  return out;
}

/**
 * Closes a report: a section still pending is marked with `why` (failed for the one that was running
 * when the check stopped, skipped for those not reached), and the verdict is computed.
 */
export function finishReport(report: GpuCheckReport, stopped: { running: string; why: string } | null = null): GpuCheckReport {
  for (const [name, s] of sections(report)) {
    if (s.status !== 'pending') continue;
    if (stopped && name === stopped.running) {
      s.status = 'failed';
      s.reason = stopped.why;
    } else {
      s.status = 'skipped';
      s.reason = stopped ? `not reached: ${stopped.why}` : 'not reached';
    }
  }
  report.failed = sections(report)
    .filter(([, s]) => s.status === 'failed')
    .map(([n]) => n);
  report.verdict = report.failed.length === 0 ? 'pass' : 'fail';
  report.current = null;
  report.finishedAt = new Date().toISOString();
  return report;
}

export interface LossFall {
  readonly steps: number;
  readonly firstLoss: number | null;
  readonly lastLoss: number | null;
  /** Mean loss of the first third of the steps, and of the last third. */
  readonly firstThirdMean: number | null;
  readonly lastThirdMean: number | null;
  readonly lossFell: boolean;
  /** Why it did not, when it did not. */
  readonly reason: string | null;
}

/** At least this many steps, so that a third is two steps and one noisy batch cannot decide. */
export const MIN_TRAIN_STEPS = 6;

/**
 * Did the loss fall? The mean loss of the last third of the steps is below the mean of the first
 * third (thirds, not single steps: one batch's loss is noisy). Every loss must be finite.
 */
export function judgeLossFall(losses: readonly number[]): LossFall {
  const n = losses.length;
  const base = { steps: n, firstLoss: n ? losses[0]! : null, lastLoss: n ? losses[n - 1]! : null };
  if (n < MIN_TRAIN_STEPS) {
    return {
      ...base,
      firstThirdMean: null,
      lastThirdMean: null,
      lossFell: false,
      reason: `only ${n} steps ran; at least ${MIN_TRAIN_STEPS} are needed to judge (raise --train-seconds)`,
    };
  }
  const third = Math.floor(n / 3);
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const first = mean(losses.slice(0, third));
  const last = mean(losses.slice(n - third));
  if (!losses.every(Number.isFinite)) {
    return { ...base, firstThirdMean: first, lastThirdMean: last, lossFell: false, reason: 'a loss was not finite (training diverged)' };
  }
  const fell = last < first;
  return {
    ...base,
    firstThirdMean: first,
    lastThirdMean: last,
    lossFell: fell,
    reason: fell ? null : `the mean loss of the last third (${last.toFixed(4)}) is not below that of the first third (${first.toFixed(4)})`,
  };
}

const USAGE = `usage: npm run gpu:check -- [options]
  --out FILE            where to write the JSON report (default bench/results/gpu-check.json)
  --allow-software      count a software WebGPU adapter (llvmpipe) as a GPU route, for machines without a GPU
  --train-seconds N     length of the training run (default 120)
  --train-steps N       also stop the training run after N steps (for slow adapters: a fixed amount of work)
  --lr X                the training run's learning rate (default 0.1, momentum 0.9)
  --train-backend NAME  webgpu | node-gpu | wasm (default: the fastest GPU route, else wasm)
  --depth N --width N   the ResNet (default 20 and 16: ResNet-20)
  --batch-size N        examples per step (default 64)
  --steps N             timed steps per route for samples/s (default 10)
  --parity-families N   only the first N model families in the gradient-parity check (default all 10)
  --budget-seconds N    stop the whole check after N seconds (default 280 + train seconds beyond 120)`;

export class UsageError extends Error {}

/** Parses the command line; throws UsageError (with the usage text) on a bad flag. */
export function parseGpuCheckArgs(args: readonly string[], defaultOut: string): GpuCheckOptions {
  const o = {
    out: defaultOut,
    allowSoftware: false,
    trainSeconds: 120,
    trainSteps: null as number | null,
    lr: 0.1,
    trainBackend: null as ThroughputRoute | null,
    depth: 20,
    width: 16,
    batchSize: 64,
    steps: 10,
    parityFamilies: null as number | null,
    budgetSeconds: null as number | null,
  };
  const bad = (msg: string): never => {
    throw new UsageError(`gpu:check: ${msg}\n${USAGE}`);
  };
  const number = (flag: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (v === undefined || v.trim() === '' || !Number.isFinite(n) || n < min)
      bad(`${flag} needs a number of at least ${min}; got ${v ?? 'nothing'}`);
    return n;
  };
  const integer = (flag: string, v: string | undefined, min: number): number => {
    const n = number(flag, v, min);
    if (!Number.isInteger(n)) bad(`${flag} needs a whole number; got ${v}`);
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = (): string | undefined => args[++i];
    switch (a) {
      case '--out': {
        const v = next();
        if (!v) bad('--out needs a file name');
        o.out = v!;
        break;
      }
      case '--allow-software':
        o.allowSoftware = true;
        break;
      case '--train-seconds':
        o.trainSeconds = number(a, next(), 1);
        break;
      case '--train-steps':
        o.trainSteps = integer(a, next(), 1);
        break;
      case '--lr':
        o.lr = number(a, next(), 1e-6);
        break;
      case '--train-backend': {
        const v = next();
        if (!(THROUGHPUT_ROUTES as readonly string[]).includes(v ?? ''))
          bad(`--train-backend must be one of ${THROUGHPUT_ROUTES.join(', ')}; got ${v}`);
        o.trainBackend = v as ThroughputRoute;
        break;
      }
      case '--depth':
        o.depth = integer(a, next(), 8);
        if ((o.depth - 2) % 6 !== 0) bad(`--depth must be 6n+2 (8, 14, 20, 32, ...); got ${o.depth}`);
        break;
      case '--width':
        o.width = integer(a, next(), 1);
        break;
      case '--batch-size':
        o.batchSize = integer(a, next(), 2);
        break;
      case '--steps':
        o.steps = integer(a, next(), 1);
        break;
      case '--parity-families':
        o.parityFamilies = integer(a, next(), 0);
        break;
      case '--budget-seconds':
        o.budgetSeconds = number(a, next(), 10);
        break;
      case '--help':
      case '-h':
        throw new UsageError(USAGE);
      default:
        bad(`unknown option ${a}`);
    }
  }
  return { ...o, budgetSeconds: o.budgetSeconds ?? 280 + Math.max(0, o.trainSeconds - 120) };
}
