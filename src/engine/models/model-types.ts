/**
 * The shape of a built network, shared by the model builders (model.ts, densenet.ts, unet.ts) so
 * they need not import each other.
 */
import type * as tf from '../tf.js';
import type { ModelConfig } from '../../contracts/train-config.js';
import type { Param } from './params.js';

/**
 * A network as the lecture draws it: a stem, K blocks h_k = h_{k-1} + f_k[h_{k-1}] (or, for the plain
 * twin, h_k = f_k[h_{k-1}]), and a head. Units are numbered stem = 0, blocks 1..K, head = K+1; every
 * instrument (gradient norm, activation variance, lesion) is reported per unit, input side first.
 */
export interface Model {
  readonly config: ModelConfig;
  readonly params: readonly Param[];
  readonly state: readonly { name: string; variable: tf.Variable }[];
  /** "stem", "block1" ... "blockK", "head". */
  readonly unitNames: readonly string[];
  /** Number of residual (or plain) blocks, K. */
  readonly blockCount: number;
  forward(x: tf.Tensor, options: ForwardOptions): ForwardResult;
  dispose(): void;
}

export interface ForwardOptions {
  readonly training: boolean;
  /** Also return every unit's output (for activation variances). */
  readonly collect?: boolean;
  /**
   * Blocks (1-based) whose branch f_k is switched off: a residual block passes its shortcut through, a
   * plain block passes its input through when shapes allow. Used by the lesion and path probes.
   */
  readonly disabledBlocks?: ReadonlySet<number>;
  /**
   * One path of the unravelled net, for its gradient (Veit et al. 2016): the forward pass is the whole
   * net, unchanged, but the backward pass goes through the branch f_k of these blocks (1-based) and
   * through the skip (identity or projection) of every other block. See `blockGradient`.
   */
  readonly pathBlocks?: ReadonlySet<number>;
}

export interface ForwardResult {
  readonly output: tf.Tensor;
  /** Unit outputs, input side first, when `collect` was set. */
  readonly units: tf.Tensor[];
  /** BatchNorm running-statistic updates of a training pass; apply with `applyStatUpdates`. */
  readonly statUpdates: { variable: tf.Variable; value: tf.Tensor }[];
}
