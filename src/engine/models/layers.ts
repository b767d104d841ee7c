import * as tf from '../tf.js';
import type { ParamStore } from './params.js';

/**
 * The few primitives every model is built from. Each returns a function of the input so a model is
 * plain composition. BatchNorm has its own analytic gradient: tfjs's autodiff of `moments` goes through
 * broadcasts that cost a `Tile` per op (the largest cost of a wasm ResNet step, DESIGN.md).
 */
export type Layer = (x: tf.Tensor, ctx: ForwardContext) => tf.Tensor;

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
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    if (!ctx.training) {
      return tf.add(tf.mul(tf.sub(x, runMean), tf.mul(tf.rsqrt(tf.add(runVar, BN_EPSILON)), gamma)), beta);
    }
    // The statistics are computed outside the custom gradient; their own gradient is zero there
    // because the analytic formula below already accounts for how they depend on x.
    const { mean, variance } = tf.moments(x, axes);
    const n = x.size / channels;
    ctx.statUpdates.push(
      { variable: runMean, value: tf.keep(tf.add(tf.mul(runMean, BN_MOMENTUM), tf.mul(mean, 1 - BN_MOMENTUM))) },
      {
        variable: runVar,
        value: tf.keep(tf.add(tf.mul(runVar, BN_MOMENTUM), tf.mul(variance, (1 - BN_MOMENTUM) * (n / Math.max(1, n - 1))))),
      },
    );
    return batchNormTrain(x, mean, variance, gamma, beta, axes, n);
  };
}

function batchNormTrain(
  x: tf.Tensor,
  mean: tf.Tensor,
  variance: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  axes: number[],
  n: number,
): tf.Tensor {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, m, v, g, b] = args as tf.Tensor[];
    const save = args[5] as tf.GradSaveFunc;
    const invStd = tf.rsqrt(tf.add(v, BN_EPSILON));
    const xHat = tf.mul(tf.sub(xi, m), invStd);
    const value = tf.add(tf.mul(xHat, g), b);
    // Tensors made in the forward pass are freed before backprop unless saved.
    save([xHat, invStd, g]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx, sInv, sg] = saved;
      // dβ = Σ dy, dγ = Σ dy·x̂, dx = γ/(σ·N) · (N·dy − dβ − x̂·dγ)
      const dBeta = tf.sum(dy, axes);
      const dGamma = tf.sum(tf.mul(dy, sx), axes);
      const scale = tf.mul(sg, tf.div(sInv, n));
      const dx = tf.mul(tf.sub(tf.sub(tf.mul(dy, n), dBeta), tf.mul(sx, dGamma)), scale);
      return [dx, tf.zerosLike(sInv), tf.zerosLike(sInv), dGamma, dBeta];
    };
    return { value, gradFunc };
  });
  return (f as unknown as (...t: tf.Tensor[]) => tf.Tensor)(x, mean, variance, gamma, beta);
}
