import * as tf from '../tf.js';
import { UserError } from '../../util/errors.js';
import { hasBatchNorm, hasShortcuts, shortcutOf, type ModelConfig } from '../../contracts/train-config.js';
import { batchNorm, conv, dense, identity, relu, seq, type ForwardContext, type Layer } from './layers.js';
import type { ForwardOptions, ForwardResult, Model } from './model-types.js';
import { buildDenseNet } from './densenet.js';
import { ParamStore } from './params.js';
import { buildUNet } from './unet.js';

export type { ForwardOptions, ForwardResult, Model } from './model-types.js';

interface BlockParts {
  readonly branch: Layer;
  readonly shortcut: Layer | null;
  readonly identityPossible: boolean;
}

/** Builds the model for inputs of `inputShape` (one example) and `outputs` logits or targets. */
export function buildModel(config: ModelConfig, inputShape: readonly number[], outputs: number, seed: number): Model {
  if (config.net === 'unet') return buildUNet(config, inputShape, seed);
  if (config.arch === 'densenet') {
    if (inputShape.length !== 3) {
      throw new UserError(
        `--arch densenet needs image data (height x width x channels); this data set's examples have shape [${inputShape.join(', ')}].`,
      );
    }
    return buildDenseNet(config, inputShape, outputs, seed);
  }
  const store = new ParamStore(seed);
  const bn = hasBatchNorm(config.arch);
  const residual = hasShortcuts(config.arch);
  const order = config.blockOrder;
  // He's gain 2 assumes a layer's input came out of a ReLU. In 'branch' order the residual stream h
  // (read by each block's first layer and by the head) has no ReLU after the addition, and in 'branch'
  // and 'preact' order a projection shortcut reads h directly: those layers get gain 1, or a plain
  // twin's variance would double with every block instead of staying constant.
  const streamGain = order === 'branch' ? 1 : 2;
  const projGain = order === 'post' ? 2 : 1;
  const norm = (name: string, unit: number, channels: number): Layer => (bn ? batchNorm(store, name, unit, channels) : identity);

  let stem: Layer;
  let head: Layer;
  const blocks: BlockParts[] = [];

  // The branch f_k in the lecture's three orders. `lin1`/`lin2`... are the weight layers.
  const branchOf = (lins: Layer[], norms: Layer[]): Layer => {
    const parts: Layer[] = [];
    lins.forEach((lin, i) => {
      const last = i === lins.length - 1;
      const n = norms[i];
      if (n === undefined) throw new Error(`block has ${lins.length} weight layers but ${norms.length} norms`);
      if (order === 'preact') parts.push(n, relu, lin);
      else parts.push(lin, n, ...(last ? [] : [relu]));
    });
    return seq(...parts);
  };

  if (config.net === 'mlp') {
    const inUnits = inputShape.reduce((a, b) => a * b, 1);
    const w = config.width;
    stem = order === 'preact' ? dense(store, 'stem', 0, inUnits, w) : seq(dense(store, 'stem', 0, inUnits, w), norm('stem/bn', 0, w), relu);
    for (let k = 1; k <= config.depth; k++) {
      const lins = [dense(store, `block${k}/lin1`, k, w, w, streamGain), dense(store, `block${k}/lin2`, k, w, w)];
      const norms = [norm(`block${k}/bn1`, k, w), norm(`block${k}/bn2`, k, w)];
      blocks.push({ branch: branchOf(lins, norms), shortcut: null, identityPossible: true });
    }
    const headUnit = config.depth + 1;
    const fc = dense(store, 'head', headUnit, w, outputs, streamGain);
    head = order === 'preact' ? seq(norm('head/bn', headUnit, w), relu, fc) : fc;
    const flatten = (x: tf.Tensor) => tf.reshape(x, [x.shape[0], inUnits]);
    const stemWithFlatten = stem;
    stem = (x, ctx) => stemWithFlatten(flatten(x), ctx);
  } else {
    const inChannels = inputShape[2];
    if (inputShape.length !== 3 || inChannels === undefined) {
      throw new UserError(
        `--net cnn needs image data (height x width x channels); this data set's examples have shape [${inputShape.join(', ')}]. Use --net mlp, or an image data set such as fashion-mnist, mnist or cifar10.`,
      );
    }
    const bottleneck = config.block === 'bottleneck';
    const zeroPad = shortcutOf(config) === 'zero-pad';
    const perStage = (config.depth - 2) / (bottleneck ? 9 : 6);
    const w = config.width;
    const bias = !bn;
    stem =
      order === 'preact'
        ? conv(store, 'stem', 0, 3, inChannels, w, 1, bias)
        : seq(conv(store, 'stem', 0, 3, inChannels, w, 1, bias), norm('stem/bn', 0, w), relu);
    let channels = w;
    let k = 0;
    for (let stage = 0; stage < 3; stage++) {
      const mid = w * 2 ** stage;
      const out = bottleneck ? mid * 4 : mid;
      for (let i = 0; i < perStage; i++) {
        k++;
        const stride: 1 | 2 = stage > 0 && i === 0 ? 2 : 1;
        const p = `block${k}`;
        const lins = bottleneck
          ? [
              conv(store, `${p}/conv1`, k, 1, channels, mid, 1, bias, streamGain),
              conv(store, `${p}/conv2`, k, 3, mid, mid, stride, bias),
              conv(store, `${p}/conv3`, k, 1, mid, out, 1, bias),
            ]
          : [conv(store, `${p}/conv1`, k, 3, channels, out, stride, bias, streamGain), conv(store, `${p}/conv2`, k, 3, out, out, 1, bias)];
        // Post-activation norms follow each weight layer (its output channels); pre-activation ones
        // precede it (its input channels). One norm per weight layer.
        const normChannels =
          order === 'preact' ? (bottleneck ? [channels, mid, mid] : [channels, out]) : bottleneck ? [mid, mid, out] : [out, out];
        const norms = normChannels.map((c, j) => norm(`${p}/bn${j + 1}`, k, c));
        const reshape = stride !== 1 || channels !== out;
        // Where the shape changes: a projection (1x1 convolution with the block's stride), or option A's
        // parameter-free subsample and zero channels.
        const shortcut =
          residual && reshape
            ? zeroPad
              ? zeroPadShortcut(stride, channels, out)
              : order === 'preact'
                ? conv(store, `${p}/proj`, k, 1, channels, out, stride, bias, projGain)
                : seq(conv(store, `${p}/proj`, k, 1, channels, out, stride, bias, projGain), norm(`${p}/proj/bn`, k, out))
            : null;
        blocks.push({ branch: branchOf(lins, norms), shortcut, identityPossible: !reshape });
        channels = out;
      }
    }
    const headUnit = k + 1;
    const fc = dense(store, 'head', headUnit, channels, outputs, streamGain);
    const pool: Layer = (x) => tf.mean(x, [1, 2]);
    head = order === 'preact' ? seq(norm('head/bn', headUnit, channels), relu, pool, fc) : seq(pool, fc);
  }

  const blockCount = blocks.length;
  const unitNames = ['stem', ...blocks.map((_, i) => `block${i + 1}`), 'head'];

  const forward = (x: tf.Tensor, options: ForwardOptions): ForwardResult => {
    const ctx: ForwardContext = { training: options.training, statUpdates: [] };
    const units: tf.Tensor[] = [];
    let h = stem(x, ctx);
    if (options.collect) units.push(h);
    blocks.forEach((block, i) => {
      const off = options.disabledBlocks?.has(i + 1) ?? false;
      const skip = block.shortcut ? block.shortcut(h, ctx) : h;
      if (residual && options.pathBlocks) {
        const onPath = options.pathBlocks.has(i + 1);
        const branch = block.branch(h, ctx);
        const sum = onPath ? tf.add(blockGradient(skip), branch) : tf.add(skip, blockGradient(branch));
        h = order === 'post' ? tf.relu(sum) : sum;
      } else if (residual) {
        const sum = off ? skip : tf.add(skip, block.branch(h, ctx));
        h = order === 'post' ? tf.relu(sum) : sum;
      } else if (!(off && block.identityPossible)) {
        const f = block.branch(h, ctx);
        h = order === 'post' ? tf.relu(f) : f;
      }
      if (options.collect) units.push(h);
    });
    const output = head(h, ctx);
    if (options.collect) units.push(output);
    return { output, units, statUpdates: ctx.statUpdates };
  };

  return {
    config,
    params: store.params,
    state: store.state,
    unitNames,
    blockCount,
    forward,
    dispose: () => store.dispose(),
  };
}

/**
 * He et al. 2015's option A shortcut: every `stride`-th pixel (NHWC) and the new channels zero, split
 * evenly before and after the old ones. No weights. Subsampled by reshape and slice, which tfjs can
 * differentiate (it has no gradient for stridedSlice); an odd height or width is first padded by one
 * row or column, matching a 'same' convolution's output size.
 */
export function zeroPadShortcut(stride: 1 | 2, inChannels: number, outChannels: number): Layer {
  const before = Math.floor((outChannels - inChannels) / 2);
  const after = outChannels - inChannels - before;
  return (x) => {
    let h = x;
    if (stride === 2) {
      const [n, height, width, c] = h.shape as [number, number, number, number];
      if (height % 2 || width % 2)
        h = tf.pad(h, [
          [0, 0],
          [0, height % 2],
          [0, width % 2],
          [0, 0],
        ]);
      const [hh, ww] = [Math.ceil(height / 2), Math.ceil(width / 2)];
      h = tf.reshape(tf.slice(tf.reshape(h, [n, hh, 2, ww, 2, c]), [0, 0, 0, 0, 0, 0], [n, hh, 1, ww, 1, c]), [n, hh, ww, c]);
    }
    return before + after > 0
      ? tf.pad(h, [
          [0, 0],
          [0, 0],
          [0, 0],
          [before, after],
        ])
      : h;
  };
}

/**
 * The identity in the forward pass, zero in the backward pass (tfjs has no `stopGradient`). Each block
 * contributes a Jacobian S_k + J_k (skip plus branch) to the chain rule; blocking one term of each
 * block leaves exactly one of the 2^K products of the unravelled net.
 */
function blockGradient(t: tf.Tensor): tf.Tensor {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor;
    return { value: tf.clone(x), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
  });
  return (f as unknown as (x: tf.Tensor) => tf.Tensor)(t);
}

/** Writes the running statistics of a training pass into the model's state and frees the values. */
export function applyStatUpdates(updates: { variable: tf.Variable; value: tf.Tensor }[]): void {
  for (const { variable, value } of updates) {
    variable.assign(value);
    value.dispose();
  }
}
