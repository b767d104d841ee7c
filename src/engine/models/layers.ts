import * as tf from '../tf.js';
import type { ParamStore } from './params.js';

/**
 * The few primitives every model is built from. Each returns a function of the input so a model is
 * plain composition. BatchNorm has its own analytic gradient: tfjs's autodiff of `moments` goes through
 * broadcasts that cost a `Tile` per op (the largest cost of a wasm ResNet step, DESIGN.md).
 */
export type Layer = (x: tf.Tensor, ctx: ForwardContext) => tf.Tensor;

/** Passes its input through. */
export const identity: Layer = (x) => x;

export const relu: Layer = (x) => tf.relu(x);

/** Layers applied one after another. */
export function seq(...layers: Layer[]): Layer {
  return (x, ctx) => layers.reduce((h, l) => l(h, ctx), x);
}

export interface ForwardContext {
  readonly training: boolean;
  /** Running-statistic updates found during a training forward pass, applied after the step. */
  readonly statUpdates: { variable: tf.Variable; value: tf.Tensor }[];
}

/** `gain`: 2 (He) when the input has passed through a ReLU, 1 when it has not (see ParamStore.he). */
export function dense(store: ParamStore, name: string, unit: number, inUnits: number, outUnits: number, gain = 2): Layer {
  const w = store.he(`${name}/w`, unit, [inUnits, outUnits], inUnits, gain);
  const b = store.constant(`${name}/b`, unit, [outUnits], 0);
  return (x) => tf.add(tf.matMul(x, w), b);
}

/** A bias-free convolution (a BatchNorm or the next layer supplies the offset), NHWC, 'same' padding. */
export function conv(
  store: ParamStore,
  name: string,
  unit: number,
  size: number,
  inChannels: number,
  outChannels: number,
  stride: 1 | 2,
  bias: boolean,
  gain = 2,
): Layer {
  const w = store.he(`${name}/w`, unit, [size, size, inChannels, outChannels], size * size * inChannels, gain);
  const b = bias ? store.constant(`${name}/b`, unit, [outChannels], 0) : null;
  return (x) => {
    const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, 'same');
    return b ? tf.add(y, b) : y;
  };
}

const BN_MOMENTUM = 0.9;
const BN_EPSILON = 1e-5;

/**
 * BatchNorm over every axis but the last (features / channels): γ = 1, δ = 0 at the start (the lecture's
 * "stable forward propagation"). Training uses the batch statistics and records running ones for
 * evaluation.
 */
export function batchNorm(store: ParamStore, name: string, unit: number, channels: number): Layer {
  const gamma = store.constant(`${name}/gamma`, unit, [channels], 1);
  const beta = store.constant(`${name}/beta`, unit, [channels], 0);
  const runMean = store.runningStat(`${name}/mean`, [channels], 0);
  const runVar = store.runningStat(`${name}/var`, [channels], 1);
  return (x, ctx) => {
    if (!ctx.training) {
      // Plain ops, not channelAffine: probes differentiate evaluation-mode nets with respect to their
      // input, and wasm has no depthwise-convolution gradient kernels.
      return tf.add(tf.mul(tf.sub(x, runMean), tf.mul(tf.rsqrt(tf.add(runVar, BN_EPSILON)), gamma)), beta);
    }
    const n = x.size / channels;
    const fold = foldsSums(channels) ? store.cached(`sum-fold/${channels}`, () => sumFold(channels)) : undefined;
    return batchNormTrain(
      x,
      gamma,
      beta,
      (mean, variance) => {
        ctx.statUpdates.push(
          { variable: runMean, value: tf.keep(tf.add(tf.mul(runMean, BN_MOMENTUM), tf.mul(mean, 1 - BN_MOMENTUM))) },
          {
            variable: runVar,
            value: tf.keep(tf.add(tf.mul(runVar, BN_MOMENTUM), tf.mul(variance, (1 - BN_MOMENTUM) * (n / Math.max(1, n - 1))))),
          },
        );
      },
      fold,
    );
  };
}

/**
 * t·scale + shift per channel (the last axis; shift optional), as one 1x1 depthwise convolution with
 * bias: one pass on wasm, where a broadcast multiply and add are two slower ones. Not differentiable
 * on wasm (no depthwise gradient kernels): for use inside custom gradients only.
 */
/** The size of `t`'s last axis (its channels); a scalar has none. */
function lastAxis(t: tf.Tensor): number {
  const c = t.shape.at(-1);
  if (c === undefined) throw new Error('a per-channel operation needs a tensor of rank 1 or more, got a scalar');
  return c;
}

function channelAffine(t: tf.Tensor, scale: tf.Tensor, shift?: tf.Tensor): tf.Tensor {
  const c = lastAxis(t);
  const m = t.size / c;
  return tf.reshape(
    tf.fused.depthwiseConv2d({
      x: tf.reshape(t, [1, m, 1, c]) as tf.Tensor4D,
      filter: tf.reshape(scale, [1, 1, c, 1]) as tf.Tensor4D,
      strides: 1,
      pad: 'valid',
      bias: shift,
    }),
    t.shape,
  );
}

/** Rows folded into one matmul row by `channelSum` (128 measured best of 32, 64, 128). */
const SUM_FOLD = 128;

/**
 * SUM_FOLD stacked C×C identities, [SUM_FOLD·C, C]: `channelSum`'s constant. On wasm, `tf.sum` over
 * the leading axes of NHWC data is a transpose and a reduction (1.25 ms at 32x32x32x16). For up to 32
 * channels, the [M/128, 128·C] view of the data times this constant (whose packed form XNNPACK caches
 * while the tensor lives), then a sum of the small product, is faster: 0.4 ms at 16 channels, 0.41
 * against 0.55 ms at 32; at 64 `tf.sum` wins. Made once per model: made per call it costs 5 ms.
 */
export function sumFold(channels: number): tf.Tensor {
  return tf.tile(tf.eye(channels), [SUM_FOLD, 1]);
}

/** Whether BatchNorm over `channels` channels should sum with a `sumFold` constant here. */
function foldsSums(channels: number): boolean {
  return tf.getBackend() === 'wasm' && channels <= 32;
}

/** Σ over every axis but the last: [C]; with `fold` (from `sumFold`) as a matmul when the rows allow. */
function channelSum(t: tf.Tensor, fold?: tf.Tensor): tf.Tensor {
  const c = lastAxis(t);
  const m = t.size / c;
  if (!fold || fold.shape[1] !== c || m % SUM_FOLD !== 0) return tf.sum(t, [...t.shape.keys()].slice(0, -1));
  return tf.sum(tf.matMul(tf.reshape(t, [m / SUM_FOLD, SUM_FOLD * c]), fold), 0);
}

/**
 * Training-mode BatchNorm with an analytic gradient. The batch statistics are computed inside the
 * custom gradient's forward function, which tfjs does not record on the tape: nothing is backpropagated
 * through `moments` (the formula below already accounts for how they depend on x). `onStats` sees the
 * batch mean and (biased) variance, shape [C]; tensors it wants to keep must be `tf.keep`-ed. `fold`
 * (from `sumFold`) makes the per-channel sums matmuls.
 *
 * With x_c = x − μ, s = 1/√(σ² + ε), x̂ = x_c·s, dβ = Σ dy, dγ = Σ dy·x̂ = s·Σ dy·x_c:
 *   dx = γs·dy − γs·dβ/N − (γ·s²·dγ/N)·x_c
 *
 * How it is computed matters on wasm (measured at 32x32x32x16 on a loaded 2-core machine): a
 * per-channel scale and shift (broadcast mul and add, 2 ms, or wasm's scalar FusedBatchNorm, 4 ms)
 * is one fused 1x1 depthwise convolution with bias (0.5 ms). Per-channel sums: see `sumFold`
 * (as a matmul ones[1, M] x X[M, C], XNNPACK would re-pack X as weights on every call, 2 ms; a blocked
 * JS loop over wasm's heap, 2.5x faster in isolation, took the same 90 ms per training step as
 * `tf.sum`, the data being cold there). Only x_c and per-channel vectors are kept for the backward pass.
 */
export function batchNormTrain(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  onStats: (mean: tf.Tensor, variance: tf.Tensor) => void = () => {},
  fold?: tf.Tensor,
): tf.Tensor {
  const m = x.size / lastAxis(x);
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    // Called with (x, gamma, beta) below; tfjs appends the save function.
    const [xi, g, b, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const mean = tf.div(channelSum(xi, fold), m);
    const centred = channelAffine(xi, tf.onesLike(mean), tf.neg(mean));
    const variance = tf.div(channelSum(tf.square(centred), fold), m);
    onStats(mean, variance);
    const invStd = tf.rsqrt(tf.add(variance, BN_EPSILON));
    const value = channelAffine(centred, tf.mul(g, invStd), b);
    // Tensors made in the forward pass are freed before backprop unless saved.
    save([centred, invStd, g]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sc, sInv, sg] = saved as [tf.Tensor, tf.Tensor, tf.Tensor]; // the three saved above
      const dBeta = channelSum(dy, fold);
      const dGamma = tf.mul(channelSum(tf.mul(dy, sc), fold), sInv);
      const a = tf.mul(sg, sInv);
      const k = tf.neg(tf.mul(tf.mul(a, sInv), tf.div(dGamma, m)));
      const dx = tf.add(channelAffine(dy, a), channelAffine(sc, k, tf.neg(tf.mul(a, tf.div(dBeta, m)))));
      return [dx, dGamma, dBeta];
    };
    return { value, gradFunc };
  });
  return (f as unknown as (...t: tf.Tensor[]) => tf.Tensor)(x, gamma, beta);
}
