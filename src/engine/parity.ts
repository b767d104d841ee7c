/**
 * Gradient parity: every model family's loss and every parameter's gradient, computed on one backend
 * from the same weights and batch as on the cpu backend (the reference), compared tensor by tensor.
 *
 * ReLU kinks. A pre-activation within float32 rounding of 0 (measured: two inputs of block2's ReLU
 * after BatchNorm in `cnn residual-bn post` d8 w16 b8 sit within 2.3e-7 of 0) goes to opposite sides
 * on two backends whose sums round differently, and the gradient of every layer before it then
 * differs by far more than rounding. That is not a kernel bug: the cpu backend alone moves as much
 * when its input moves by 1e-6. So a tensor whose error is above the tolerance is judged against the
 * cpu's own sensitivity: the error of cpu gradients from inputs nudged by NUDGE against the
 * unnudged ones. Within KINK_FACTOR times that sensitivity it is a kink; beyond it, a failure.
 *
 * Reads are asynchronous (webgpu cannot read synchronously in Node). The harness switches the active
 * backend: the caller must have registered the backends (see backend.ts `tryBackend`).
 */
import * as tf from './tf.js';
import type { ModelConfig } from '../contracts/train-config.js';
import { buildModel } from './models/model.js';
import { Rng } from '../util/rng.js';

export interface ParityFamily {
  readonly id: string;
  readonly config: ModelConfig;
  readonly inputShape: readonly number[];
  /** Classes (classification) or 1 (segmentation, per-pixel). */
  readonly outputs: number;
  readonly task: 'classification' | 'segmentation';
}

const base = { depth: 8, width: 4, block: 'basic', blockOrder: 'post' } as const;
const image = [8, 8, 3];

/** Every model family, tiny (test time), each with its own weights seed. */
export const PARITY_FAMILIES: readonly ParityFamily[] = [
  {
    id: 'mlp residual-bn',
    config: { net: 'mlp', arch: 'residual-bn', depth: 2, width: 8, block: 'basic', blockOrder: 'post' },
    inputShape: [16],
    outputs: 3,
    task: 'classification',
  },
  ...(['plain', 'plain-bn', 'residual', 'residual-bn'] as const).map((arch) => ({
    id: `cnn ${arch} basic post`,
    config: { net: 'cnn', arch, ...base } as ModelConfig,
    inputShape: image,
    outputs: 3,
    task: 'classification' as const,
  })),
  {
    id: 'cnn residual-bn bottleneck post',
    config: { net: 'cnn', arch: 'residual-bn', ...base, depth: 11, block: 'bottleneck' },
    inputShape: image,
    outputs: 3,
    task: 'classification',
  },
  ...(['branch', 'preact'] as const).map((blockOrder) => ({
    id: `cnn residual-bn basic ${blockOrder}`,
    config: { net: 'cnn', arch: 'residual-bn', ...base, blockOrder } as ModelConfig,
    inputShape: image,
    outputs: 3,
    task: 'classification' as const,
  })),
  {
    id: 'cnn densenet',
    config: { net: 'cnn', arch: 'densenet', ...base, depth: 7 },
    inputShape: image,
    outputs: 3,
    task: 'classification',
  },
  {
    id: 'unet residual-bn',
    config: { net: 'unet', arch: 'residual-bn', ...base, depth: 5, width: 2 },
    inputShape: [8, 8, 1],
    outputs: 1,
    task: 'segmentation',
  },
];

export interface ParityBatch {
  readonly x: Float32Array;
  /** Class labels (classification) or 0/1 masks (segmentation). */
  readonly y: Float32Array;
  readonly n: number;
}

/** A seeded batch for a family: inputs ~ N(0, 1), labels or masks uniform. */
export function parityBatch(family: ParityFamily, n: number, seed: number): ParityBatch {
  const rng = new Rng(seed);
  const size = family.inputShape.reduce((a, b) => a * b, 1);
  const x = rng.normalArray(n * size, 1);
  const labels = family.task === 'segmentation' ? n * family.inputShape[0]! * family.inputShape[1]! : n;
  const y = Float32Array.from({ length: labels }, () =>
    family.task === 'segmentation' ? (rng.next() < 0.5 ? 0 : 1) : Math.floor(rng.next() * family.outputs),
  );
  return { x, y, n };
}

export interface GradientSet {
  readonly loss: number;
  /** By parameter name (without the model's unique prefix), in model order. */
  readonly grads: ReadonlyMap<string, Float32Array>;
}

/**
 * Loss and all gradients of the family on the active backend, in training mode (batch statistics).
 * The loss is the trainer's (softmax cross-entropy, or per-pixel sigmoid cross-entropy written
 * stably), written here because the trainer keeps its own private.
 */
export async function computeGradients(family: ParityFamily, batch: ParityBatch, weightsSeed: number): Promise<GradientSet> {
  const model = buildModel(family.config, family.inputShape, family.outputs, weightsSeed);
  try {
    const xs = tf.tensor(batch.x, [batch.n, ...family.inputShape], 'float32');
    const ys =
      family.task === 'segmentation'
        ? tf.tensor(batch.y, [batch.n, family.inputShape[0]!, family.inputShape[1]!, 1], 'float32')
        : tf.tensor1d(Int32Array.from(batch.y), 'int32');
    const { value, grads } = tf.variableGrads(
      () => {
        const r = model.forward(xs, { training: true });
        r.statUpdates.forEach((u) => u.value.dispose());
        const z = r.output;
        if (family.task === 'segmentation') {
          return tf.mean(tf.add(tf.sub(tf.relu(z), tf.mul(z, ys)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))))) as tf.Scalar;
        }
        const picked = tf.sum(tf.mul(tf.logSoftmax(z as tf.Tensor2D), tf.oneHot(ys as tf.Tensor1D, family.outputs)), 1);
        return tf.neg(tf.mean(picked)) as tf.Scalar;
      },
      model.params.map((p) => p.variable),
    );
    const loss = (await value.data())[0]!;
    const out = new Map<string, Float32Array>();
    for (const p of model.params) {
      const g = grads[p.variable.name];
      out.set(p.name, g ? new Float32Array(await g.data()) : new Float32Array(p.variable.size));
    }
    tf.dispose([xs, ys, value, ...Object.values(grads)]);
    return { loss, grads: out };
  } finally {
    model.dispose();
  }
}

/** max |a - b| / max |ref|: the error relative to the tensor's own scale. */
export function relativeError(got: Float32Array, ref: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    diff = Math.max(diff, Math.abs((got[i] ?? NaN) - ref[i]!));
    scale = Math.max(scale, Math.abs(ref[i]!));
  }
  if (Number.isNaN(diff) || got.length !== ref.length) return Infinity;
  return scale === 0 ? diff : diff / scale;
}

export const TOLERANCE = 1e-3;
export const NUDGE = 1e-6;
export const KINK_FACTOR = 4;

export interface TensorParity {
  readonly name: string;
  readonly error: number;
  /** The cpu's own error under input nudges of NUDGE (computed only when `error` > TOLERANCE). */
  readonly cpuSensitivity: number | null;
  readonly verdict: 'ok' | 'relu-kink' | 'fail';
}

export interface FamilyParity {
  readonly family: string;
  readonly backend: string;
  readonly lossError: number;
  readonly worst: number;
  readonly tensors: readonly TensorParity[];
  readonly verdict: 'ok' | 'relu-kink' | 'fail';
}

/** Pure: the verdict of one tensor from its error and the cpu's sensitivity. */
export function judge(error: number, cpuSensitivity: number | null, tolerance = TOLERANCE): TensorParity['verdict'] {
  if (error <= tolerance) return 'ok';
  if (cpuSensitivity !== null && Number.isFinite(error) && error <= KINK_FACTOR * cpuSensitivity) return 'relu-kink';
  return 'fail';
}

/** The input nudged by NUDGE times seeded noise. */
function nudged(batch: ParityBatch, seed: number): ParityBatch {
  const noise = new Rng(seed).normalArray(batch.x.length, NUDGE);
  return { ...batch, x: batch.x.map((v, i) => v + noise[i]!) };
}

export interface ParityOptions {
  readonly batchSize?: number;
  readonly seed?: number;
  readonly tolerance?: number;
  /** Switches the active backend (tf.setBackend after the backend was registered). */
  readonly use: (backend: string) => Promise<void>;
}

/** Compares `backend` with cpu on one family. Leaves `backend` active. */
export async function familyParity(family: ParityFamily, backend: string, options: ParityOptions): Promise<FamilyParity> {
  const seed = options.seed ?? 1;
  const batch = parityBatch(family, options.batchSize ?? 2, seed);
  const tol = options.tolerance ?? TOLERANCE;
  await options.use('cpu');
  const ref = await computeGradients(family, batch, seed);
  await options.use(backend);
  const got = await computeGradients(family, batch, seed);
  const errors = [...ref.grads].map(([name, r]) => ({ name, error: relativeError(got.grads.get(name) ?? new Float32Array(0), r) }));
  let sensitivity: Map<string, number> | null = null;
  if (errors.some((e) => e.error > tol)) {
    // Only now: the cpu's own movement under tiny input nudges (two of them).
    await options.use('cpu');
    sensitivity = new Map();
    for (const s of [seed + 101, seed + 202]) {
      const moved = await computeGradients(family, nudged(batch, s), seed);
      for (const [name, r] of ref.grads) {
        sensitivity.set(name, Math.max(sensitivity.get(name) ?? 0, relativeError(moved.grads.get(name)!, r)));
      }
    }
    await options.use(backend);
  }
  const tensors = errors.map(({ name, error }) => {
    const cpuSensitivity = error > tol ? (sensitivity?.get(name) ?? null) : null;
    return { name, error, cpuSensitivity, verdict: judge(error, cpuSensitivity, tol) };
  });
  const lossError = Math.abs(got.loss - ref.loss) / Math.max(Math.abs(ref.loss), 1e-12);
  const verdict =
    tensors.some((t) => t.verdict === 'fail') || !(lossError <= tol)
      ? 'fail'
      : tensors.some((t) => t.verdict === 'relu-kink')
        ? 'relu-kink'
        : 'ok';
  return { family: family.id, backend, lossError, worst: Math.max(...tensors.map((t) => t.error)), tensors, verdict };
}

/** Every family on `backend` against cpu. */
export async function backendParity(backend: string, options: ParityOptions, families = PARITY_FAMILIES): Promise<FamilyParity[]> {
  const out: FamilyParity[] = [];
  for (const f of families) out.push(await familyParity(f, backend, options));
  return out;
}
