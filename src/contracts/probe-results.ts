/**
 * What each probe returns (`resnet-tutor probe`, lesson experiments): plain data that crosses from the
 * engine worker to the renderer, the lessons and the tutor. Types only; the probes themselves are in
 * src/engine/probes/.
 */

import type { Arch, BlockOrder, ModelConfig, Net, TrainConfig } from './train-config.js';

// bn-scale (src/engine/probes/bn-scale.ts)

/**
 * What BatchNorm learned (the lecture: "during training, the scales can increase in later layers if
 * helpful → control the effective depth"): the learned scale γ of every BatchNorm in every block of
 * a trained run, as mean |γ| over its channels. Every γ starts at 1. In the `post` and `branch`
 * orders a block's last BatchNorm scales the branch f_k just before it is added to the stream, so its
 * |γ| is how loudly block k speaks; in `preact` order the last BatchNorm precedes the last weight
 * layer and scales it only indirectly. Read from the checkpoint's tensors: no forward pass.
 */
export interface BnLayerScale {
  /** "bn1", "bn2", ..., or "proj/bn" (the projection shortcut's). */
  readonly layer: string;
  readonly channels: number;
  /** Mean |γ| over channels; 1 at initialisation. */
  readonly meanAbsGamma: number | null;
  /** Mean β (the learned shift) over channels; 0 at initialisation. */
  readonly meanBeta: number | null;
}

export interface BnBlockScale {
  readonly block: number;
  readonly name: string;
  /** The branch's last BatchNorm: bn2 for basic blocks and MLPs, bn3 for bottlenecks. */
  readonly lastLayer: string;
  /** Its mean |γ|. */
  readonly lastGamma: number | null;
  readonly layers: readonly BnLayerScale[];
}

export interface BnScaleResult {
  readonly probe: 'bn-scale';
  readonly runId: string;
  readonly step: number;
  readonly model: string;
  readonly arch: TrainConfig['arch'];
  readonly blockOrder: BlockOrder;
  readonly dataset: string;
  readonly blocks: readonly BnBlockScale[];
  /** Least-squares change of `lastGamma` per block (positive: later blocks scaled up). */
  readonly slopePerBlock: number | null;
  /** Mean `lastGamma` of the last third of the blocks over that of the first third. */
  readonly lateOverEarly: number | null;
  /** Mean of `lastGamma` over the blocks. */
  readonly meanLastGamma: number | null;
}

// lesion (src/engine/probes/lesion.ts)

/**
 * Lesion study (Veit et al. 2016): remove one block of a trained net at a time and measure validation
 * accuracy. A residual block's branch is switched off and its shortcut kept; a plain block is replaced
 * by the identity where its input and output shapes agree (model.ts `disabledBlocks`). Residual nets
 * behave like ensembles of paths and barely notice; plain nets are one path and break.
 */
export interface LesionRow {
  readonly block: number;
  readonly name: string;
  /** False when the block changes the shape (a plain net's downsampling block): it cannot be skipped. */
  readonly removable: boolean;
  readonly accuracy: number | null;
  readonly loss: number | null;
  /** Baseline accuracy minus this accuracy (classification), or null. */
  readonly accuracyDrop: number | null;
}

export interface LesionResult {
  readonly probe: 'lesion';
  readonly runId: string;
  readonly step: number;
  readonly model: string;
  readonly arch: TrainConfig['arch'];
  readonly dataset: string;
  readonly examples: number;
  readonly baseline: { readonly accuracy: number | null; readonly loss: number };
  readonly rows: readonly LesionRow[];
  /** Mean and largest accuracy drop over the removable blocks (classification). */
  readonly meanAccuracyDrop: number | null;
  readonly worstAccuracyDrop: number | null;
  readonly worstBlock: number | null;
  /** Median accuracy drop over the removable blocks (classification). */
  readonly medianAccuracyDrop: number | null;
  /** Accuracy drop without block 1 (null when it cannot be skipped or without accuracy). */
  readonly firstBlockDrop: number | null;
  /**
   * A drop counts as noticeable above two standard errors of the baseline accuracy on these
   * examples, 2·sqrt(p(1 − p)/n): smaller drops are within what another sample of the same size
   * could show.
   */
  readonly noticeableDrop: number | null;
  /** Removable blocks whose removal costs more than `noticeableDrop`. */
  readonly blocksThatMatter: number | null;
  /** Blocks that could be removed (a plain net's shape-changing blocks cannot). */
  readonly removableBlocks: number;
}

// paths (src/engine/probes/paths.ts)

/**
 * A residual net of K blocks unravelled (the lecture's "ensemble of networks"): every block is either
 * taken (its branch f_k) or skipped (its shortcut), so there are 2^K paths and C(K, k) of them pass
 * through exactly k branches.
 *
 * How much gradient each path length carries, measured as Veit et al. 2016 did (their section 5,
 * Figure 6): feed the batch forward through the whole net, then backpropagate through the branches
 * of k sampled blocks and the skips of all the others (model.ts `pathBlocks`), which is the gradient
 * along one single path; measure its norm at the input, average over sampled paths and examples, and
 * multiply by the number of paths of that length, C(K, k), for the total that paths of length k carry.
 *
 * Why this is exact: the derivative of the net at the input is the chain-rule product over blocks of
 * (S_k + J_k), S_k the skip's Jacobian and J_k the branch's, each taken at this forward pass (ReLU
 * on/off patterns and BatchNorm statistics as they are on this batch). Multiplying out gives 2^K
 * products, one per path; the restricted backward pass computes exactly one of them. So the 2^K
 * path gradients (vectors) add up to the full gradient; their norms do not (paths partly cancel),
 * and the shares below are shares of the summed norms, as Veit et al. report them.
 */
export interface PathLength {
  /** Branches on the path, k. */
  readonly length: number;
  /** C(K, k), as a number (exact below 2^53) and exactly as a decimal string. */
  readonly count: number;
  readonly countExact: string;
  /** count / 2^K. */
  readonly share: number;
  /**
   * Mean L2 norm, at the input, of one example's loss gradient along one path of this length
   * (over the sampled paths and the batch's examples).
   */
  readonly gradient: number | null;
  /** Spread of that norm over the sampled (path, example) pairs; null where not measured. */
  readonly distribution: {
    readonly min: number;
    readonly q1: number;
    readonly median: number;
    readonly q3: number;
    readonly max: number;
  } | null;
  /** Whether `gradient` was measured (false: interpolated between measured lengths of a deep net). */
  readonly measured: boolean;
  /** Paths of this length measured (sampled sets of k blocks). */
  readonly pathsMeasured: number;
  /** gradient × count: the total gradient magnitude that all paths of this length carry. */
  readonly contribution: number | null;
  /** contribution / Σ contributions. */
  readonly contributionShare: number | null;
}

export interface PathsResult {
  readonly probe: 'paths';
  /** 'init': an initialised net (BatchNorm with batch statistics); 'run': a trained run's checkpoint. */
  readonly source: 'init' | 'run';
  readonly runId: string | null;
  readonly step: number | null;
  readonly model: string;
  readonly config: ModelConfig;
  readonly dataset: string;
  readonly blocks: number;
  readonly totalPaths: number;
  readonly totalPathsExact: string;
  /** Paths that pass through block 1's branch: 2^(K-1). */
  readonly pathsThroughBlock1: number;
  /** Mean branches per path, counting every path once: K/2. */
  readonly meanPathLength: number;
  /** Mean path length weighted by the total gradient magnitude each length carries (Σ k·share). */
  readonly gradientMeanLength: number | null;
  /** Shortest and longest lengths between which 90% of the total gradient magnitude lies (5% cut from each tail). */
  readonly effectiveRange: readonly [number, number] | null;
  /** The length whose paths carry the most gradient in total. */
  readonly peakLength: number | null;
  /** Share of the total gradient magnitude carried by paths through at most a quarter of the blocks. */
  readonly shortShare: number | null;
  /** Paths sampled per length (all of them where there are fewer). */
  readonly samples: number;
  /** Examples each path gradient is measured on. */
  readonly examples: number;
  readonly lengths: readonly PathLength[];
}

// shatter (src/engine/probes/shatter.ts)

/**
 * Shattered gradients (Balduzzi et al. 2017, the lecture's dy/dx figure): the derivative of a scalar
 * output with respect to a 1-D input, over a grid of inputs, for a 1-block net and deep nets. He init,
 * zero biases. BatchNorm normalises with the statistics of the grid (the grid is the batch, as in
 * training); the derivative at each point holds those statistics fixed, so it is the slope of the
 * function the net computes on this batch.
 *
 * What it shows:
 * - A deep plain net with BatchNorm: neighbouring gradients are unrelated (white noise).
 * - The same blocks with shortcuts (residual-bn): gradients stay correlated.
 * - Without BatchNorm and with every bias zero, a ReLU net is positively homogeneous,
 *   y(a·x) = a·y(x) for a > 0, so with a 1-D input its gradient can only change at x = 0: nothing
 *   shatters, however deep. `inputBias` gives the input layer a random bias to break that.
 */
export interface ShatterNet {
  readonly key: 'shallow' | 'plain' | 'plain-bn' | 'residual' | 'residual-bn';
  readonly label: string;
  readonly blocks: number;
  readonly batchNorm: boolean;
  readonly shortcuts: boolean;
  /** dy/dx at each grid point. Null entries overflowed float32. */
  readonly gradient: readonly (number | null)[];
  /** Pearson correlation of (g_i, g_{i+1}): near 1 smooth, near 0 shattered. */
  readonly neighbourCorrelation: number | null;
  /** Input distance at which the autocorrelation falls below 1/e; null if not within `maxDistance`. */
  readonly correlationLength: number | null;
  /** Autocorrelation at lags 0, 1, ... (distance = lag · spacing). */
  readonly autocorrelation: readonly number[];
}

export interface ShatterResult {
  readonly probe: 'shatter';
  readonly depth: number;
  readonly width: number;
  readonly blockOrder: BlockOrder;
  readonly seed: number;
  readonly points: number;
  readonly range: readonly [number, number];
  /** Distance between neighbouring grid points (the lag-1 distance of `neighbourCorrelation`). */
  readonly spacing: number;
  readonly inputBias: number;
  /** Bias scale of the nets without BatchNorm (options.ts `ShatterOptions.bias`); 0: zero biases. */
  readonly bias: number;
  readonly maxDistance: number;
  readonly nets: readonly ShatterNet[];
}

// stats (src/engine/probes/stats.ts)

/** Least-squares line y = intercept + slope·x, with R² (1 for a perfect fit; null for < 2 points). */
export interface LineFit {
  readonly slope: number;
  readonly intercept: number;
  readonly r2: number | null;
}

/** Growth of a per-block series, fitted two ways: geometric (ln v linear in k) and linear. */
export interface GrowthFit {
  /** Factor per block of the geometric fit v_k ≈ a·ratio^k. */
  readonly ratio: number | null;
  readonly geometricR2: number | null;
  /** Increase per block of the linear fit v_k ≈ b + slope·k. */
  readonly slope: number | null;
  readonly linearR2: number | null;
  /** Which law the series follows: the lecture's three cases. */
  readonly law: 'exponential' | 'linear' | 'constant' | 'decaying' | 'other';
}

// variance (src/engine/probes/variance.ts)

/**
 * The lecture's first instrument: how the variance of each block's output grows with depth at
 * initialisation. With He init a plain net keeps it about constant, residual connections double it
 * with every block, and BatchNorm in the branch makes the growth linear (one unit per block).
 *
 * Two numbers per block, over a batch of real inputs:
 * - `meanSquare`, E[h²] over units and inputs: the lecture's variance, an expectation over the random
 *   weights (what He init keeps constant). Averaged over `repeats` independent initialisations, since
 *   one draw of a finite-width net wanders up and down by a random factor per layer.
 * - `batchVariance`, each unit's variance across the batch, averaged over units (what BatchNorm sets
 *   to 1). In a deep plain net it falls while E[h²] stays: the net maps different inputs ever closer
 *   to one direction.
 */
export interface VarianceSeries {
  readonly arch: Arch;
  readonly label: string;
  /** Blocks 1..K, input side first; null where the value overflowed float32. */
  readonly meanSquare: readonly (number | null)[];
  readonly batchVariance: readonly (number | null)[];
  /** The stem's output (block 0), for reference. */
  readonly stem: { readonly meanSquare: number | null; readonly batchVariance: number | null };
  /** Fits of `meanSquare` over the blocks (inside each stage, for a CNN). */
  readonly fit: GrowthFit;
  readonly batchVarianceFit: GrowthFit;
  /** Last block's value over the first block's (meanSquare). */
  readonly growth: number | null;
}

export interface VarianceResult {
  readonly probe: 'variance';
  readonly net: Net;
  readonly depth: number;
  readonly width: number;
  readonly blockOrder: BlockOrder;
  readonly blocks: number;
  /**
   * First block of each stage: [1] for an MLP; a CNN has three, and a projection shortcut with
   * BatchNorm starts each stage's variance afresh.
   */
  readonly stageStarts: readonly number[];
  readonly seed: number;
  readonly dataset: string;
  readonly batchSize: number;
  readonly repeats: number;
  readonly series: readonly VarianceSeries[];
}
