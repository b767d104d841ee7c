import * as tf from '../tf.js';
import { describeModel, type ModelConfig } from '../../contracts/train-config.js';
import { loadDataset } from '../../data/index.js';
import { buildModel, type Model } from '../models/model.js';
import { deriveSeed, Rng } from '../../util/rng.js';
import { buildTrained, type TrainedNet } from './lesion.js';
import { binomialExact } from '../../contracts/probe-options.js';
import { finiteOrNull } from './stats.js';
import type { PathLength, PathsResult } from '../../contracts/probe-results.js';

export interface PathsInput {
  /** The net to unravel: an initialised one from `model` and `seed`, or a trained run's. */
  readonly model: ModelConfig;
  readonly seed: number;
  readonly trained: TrainedNet | null;
  readonly dataset: string;
  readonly batchSize: number;
  readonly samples: number;
}

/** Above this many blocks only about this many path lengths are measured; the rest are interpolated. */
const MAX_MEASURED = 33;

export async function runPaths(input: PathsInput, onProgress?: (message: string) => void): Promise<PathsResult> {
  const config = input.trained?.config ?? input.model;
  const seed = input.trained?.config.seed ?? input.seed;
  const data = await loadDataset(input.dataset, { seed, trainLimit: input.batchSize, valLimit: 1 });
  const classification = data.task === 'classification';
  const outputs = classification ? data.numClasses : 1;
  const model: Model = input.trained ? buildTrained(input.trained, data) : buildModel(config, data.inputShape, outputs, seed);
  const n = Math.min(input.batchSize, data.train.n);
  const size = data.inputShape.reduce((a, b) => a * b, 1);
  const xs = tf.tensor(data.train.x.subarray(0, n * size), [n, ...data.inputShape], 'float32');
  const ys = classification
    ? tf.tensor1d(Int32Array.from(data.train.y.subarray(0, n)), 'int32')
    : tf.tensor1d(Float32Array.from(data.train.y.subarray(0, n)), 'float32');
  // A trained net is evaluated as it is used; at initialisation BatchNorm's running statistics are
  // placeholders, so it normalises with the batch's own.
  const training = input.trained === null;
  const K = model.blockCount;
  try {
    const measured = measuredLengths(K);
    const stats = new Map<number, { mean: number | null; distribution: PathLength['distribution']; paths: number }>();
    for (const k of measured) {
      onProgress?.(`paths: ${describeModel(config)}, single paths through ${k} of ${K} branches`);
      const subsets = chooseSubsets(K, k, input.samples, deriveSeed(seed, 'paths', k));
      const norms: number[] = [];
      for (const path of subsets) {
        const g = tf.tidy(() => perExampleNorms(pathInputGradient(model, xs, ys, path, training, classification, data.numClasses)));
        norms.push(...(await g.data()));
        g.dispose();
      }
      const finite = norms.every(Number.isFinite);
      stats.set(k, { mean: finite ? mean(norms) : null, distribution: finite ? summary(norms) : null, paths: subsets.length });
      await new Promise((resolve) => setImmediate(resolve));
    }
    const total = 2 ** K;
    const lengths: PathLength[] = [];
    for (let k = 0; k <= K; k++) {
      const exact = binomialExact(K, k);
      const count = Number(exact);
      const st = stats.get(k);
      const g = st ? st.mean : interpolate(new Map([...stats].map(([key, v]) => [key, v.mean])), k);
      lengths.push({
        length: k,
        count,
        countExact: exact.toString(),
        share: count / total,
        gradient: g,
        distribution: st?.distribution ?? null,
        measured: st !== undefined,
        pathsMeasured: st?.paths ?? 0,
        contribution: g === null ? null : finiteOrNull(g * count),
        contributionShare: null,
      });
    }
    const contributions = lengths.map((l) => l.contribution);
    const complete = contributions.every((c): c is number => c !== null);
    const sumC = complete ? contributions.reduce((a, b) => a + b, 0) : 0;
    const withShares = lengths.map((l) => ({ ...l, contributionShare: complete && sumC > 0 ? l.contribution! / sumC : null }));
    return {
      probe: 'paths',
      source: input.trained ? 'run' : 'init',
      runId: input.trained?.runId ?? null,
      step: input.trained?.step ?? null,
      model: describeModel(config),
      config: {
        net: config.net,
        arch: config.arch,
        depth: config.depth,
        width: config.width,
        block: config.block,
        blockOrder: config.blockOrder,
      },
      dataset: data.name,
      blocks: K,
      totalPaths: total,
      totalPathsExact: (1n << BigInt(K)).toString(),
      pathsThroughBlock1: 2 ** (K - 1),
      meanPathLength: K / 2,
      gradientMeanLength: complete && sumC > 0 ? withShares.reduce((s, l) => s + l.length * l.contributionShare!, 0) : null,
      effectiveRange:
        complete && sumC > 0
          ? middleRange(
              withShares.map((l) => l.contributionShare!),
              0.9,
            )
          : null,
      peakLength:
        complete && sumC > 0 ? withShares.reduce((best, l) => (l.contributionShare! > best.contributionShare! ? l : best)).length : null,
      shortShare: complete && sumC > 0 ? withShares.filter((l) => l.length <= K / 4).reduce((a, l) => a + l.contributionShare!, 0) : null,
      samples: input.samples,
      examples: n,
      lengths: withShares,
    };
  } finally {
    tf.dispose([xs, ys]);
    model.dispose();
  }
}

function measuredLengths(K: number): number[] {
  if (K + 1 <= MAX_MEASURED) return Array.from({ length: K + 1 }, (_, k) => k);
  const set = new Set<number>();
  for (let i = 0; i < MAX_MEASURED; i++) set.add(Math.round((i * K) / (MAX_MEASURED - 1)));
  return [...set].sort((a, b) => a - b);
}

/** Up to `samples` distinct k-subsets of blocks 1..K (all of them when there are no more). */
export function chooseSubsets(K: number, k: number, samples: number, seed: number): Set<number>[] {
  const total = binomialExact(K, k);
  if (total <= BigInt(samples)) return allSubsets(K, k);
  const rng = new Rng(seed);
  const seen = new Set<string>();
  const out: Set<number>[] = [];
  while (out.length < samples) {
    const pool = Array.from({ length: K }, (_, i) => i + 1);
    for (let i = 0; i < k; i++) {
      const j = i + rng.int(K - i);
      [pool[i], pool[j]] = [pool[j]!, pool[i]!];
    }
    const chosen = pool.slice(0, k).sort((a, b) => a - b);
    const key = chosen.join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(new Set(chosen));
  }
  return out;
}

function allSubsets(K: number, k: number): Set<number>[] {
  const out: Set<number>[] = [];
  const pick = (start: number, chosen: number[]) => {
    if (chosen.length === k) {
      out.push(new Set(chosen));
      return;
    }
    for (let b = start; b <= K - (k - chosen.length) + 1; b++) pick(b + 1, [...chosen, b]);
  };
  pick(1, []);
  return out;
}

/**
 * The gradient of the summed loss with respect to the inputs, [n, ...inputShape], along the single
 * path through the branches of the blocks in `path` and the skips of the others (all blocks' branches
 * when `path` is null: the full gradient). `training`: BatchNorm with the batch's statistics.
 */
export function pathInputGradient(
  model: Model,
  xs: tf.Tensor,
  ys: tf.Tensor,
  path: ReadonlySet<number> | null,
  training: boolean,
  classification: boolean,
  numClasses: number,
): tf.Tensor {
  return tf.tidy(() => {
    const lossOf = (x: tf.Tensor): tf.Scalar => {
      const r = model.forward(x, { training, ...(path ? { pathBlocks: path } : {}) });
      for (const u of r.statUpdates) u.value.dispose();
      if (!classification) return tf.sum(tf.square(tf.sub(tf.reshape(r.output, [-1]), ys))) as tf.Scalar;
      const logProbs = tf.logSoftmax(r.output as tf.Tensor2D);
      return tf.neg(tf.sum(tf.mul(logProbs, tf.oneHot(ys as tf.Tensor1D, numClasses)))) as tf.Scalar;
    };
    return tf.grad(lossOf)(xs);
  });
}

/** L2 norm of each example's slice of a gradient [n, ...], as a tensor [n] (read asynchronously). */
function perExampleNorms(g: tf.Tensor): tf.Tensor {
  return tf.sqrt(tf.sum(tf.square(tf.reshape(g, [g.shape[0]!, -1])), 1));
}

function mean(v: readonly number[]): number {
  return v.reduce((a, b) => a + b, 0) / v.length;
}

/** Min, quartiles and max (linear interpolation between order statistics). */
function summary(v: readonly number[]): NonNullable<PathLength['distribution']> {
  const s = [...v].sort((a, b) => a - b);
  const q = (p: number) => {
    const i = p * (s.length - 1);
    const lo = Math.floor(i);
    const hi = Math.min(s.length - 1, lo + 1);
    return s[lo]! + (s[hi]! - s[lo]!) * (i - lo);
  };
  return { min: s[0]!, q1: q(0.25), median: q(0.5), q3: q(0.75), max: s[s.length - 1]! };
}

/** Log-linear interpolation between the nearest measured lengths. */
function interpolate(measured: ReadonlyMap<number, number | null>, k: number): number | null {
  const keys = [...measured.keys()].sort((a, b) => a - b);
  const lo = [...keys].reverse().find((m) => m < k);
  const hi = keys.find((m) => m > k);
  if (lo === undefined || hi === undefined) return null;
  const a = measured.get(lo);
  const b = measured.get(hi);
  if (a == null || b == null) return null;
  const t = (k - lo) / (hi - lo);
  // A gradient that underflowed float32 (0) has no logarithm: interpolate linearly next to it.
  if (a <= 0 || b <= 0) return a * (1 - t) + b * t;
  return Math.exp(Math.log(a) * (1 - t) + Math.log(b) * t);
}

/** The smallest and largest index between which the middle `mass` of a distribution lies. */
function middleRange(shares: readonly number[], mass: number): [number, number] {
  const tail = (1 - mass) / 2;
  let acc = 0;
  let lo = 0;
  for (let i = 0; i < shares.length; i++) {
    acc += shares[i]!;
    if (acc > tail) {
      lo = i;
      break;
    }
  }
  acc = 0;
  let hi = shares.length - 1;
  for (let i = shares.length - 1; i >= 0; i--) {
    acc += shares[i]!;
    if (acc > tail) {
      hi = i;
      break;
    }
  }
  return [lo, hi];
}
