import * as tf from '../tf.js';
import type { ModelConfig } from '../../contracts/train-config.js';
import { batchNorm, conv, dense, relu, seq, type ForwardContext, type Layer } from './layers.js';
import type { ForwardOptions, ForwardResult, Model } from './model-types.js';
import { ParamStore } from './params.js';

/**
 * A small DenseNet (Huang et al., 2017) for `--net cnn --arch densenet`: a 3x3 stem convolution to
 * 2k channels, three dense blocks of n layers each, transition layers between them, global average
 * pooling and a linear classifier. A dense layer is BN-ReLU-conv3x3 producing k (`--width`, the
 * growth rate) new channels, concatenated onto its input, so layer l of a block sees k0 + k(l-1)
 * channels. A transition is BN-ReLU-conv1x1 halving the channels, then 2x2 average pooling.
 * Weight layers: 1 + 3n + 2 + 1 = 3n + 4 (`--depth`).
 *
 * Units for the instruments: stem = 0, dense blocks 1..3 (each with the transition that follows it),
 * head = 4.
 */
export function buildDenseNet(config: ModelConfig, inputShape: readonly number[], outputs: number, seed: number): Model {
  const store = new ParamStore(seed);
  const k = config.width;
  const perBlock = (config.depth - 4) / 3;
  const inChannels = inputShape[2];
  // buildModel checks the shape first, with the user-facing message.
  if (inChannels === undefined) throw new Error(`densenet needs height x width x channels, got [${inputShape.join(', ')}]`);

  // The stem's input is the normalised image, not a ReLU output: gain 1.
  const stem = conv(store, 'stem', 0, 3, inChannels, 2 * k, 1, false, 1);
  let channels = 2 * k;
  const blocks: Layer[] = [];
  for (let b = 1; b <= 3; b++) {
    const layers: Layer[] = [];
    for (let l = 1; l <= perBlock; l++) {
      const p = `block${b}/layer${l}`;
      const f = seq(batchNorm(store, `${p}/bn`, b, channels), relu, conv(store, `${p}/conv`, b, 3, channels, k, 1, false));
      layers.push((x, ctx) => tf.concat([x, f(x, ctx)], 3));
      channels += k;
    }
    if (b < 3) {
      const out = Math.max(1, Math.floor(channels / 2));
      const t = seq(
        batchNorm(store, `block${b}/transition/bn`, b, channels),
        relu,
        conv(store, `block${b}/transition/conv`, b, 1, channels, out, 1, false),
      );
      layers.push((x, ctx) => avgPool2(t(x, ctx)));
      channels = out;
    }
    blocks.push(seq(...layers));
  }
  const headBn = batchNorm(store, 'head/bn', 4, channels);
  const fc = dense(store, 'head', 4, channels, outputs);
  const head: Layer = (x, ctx) => fc(tf.mean(tf.relu(headBn(x, ctx)), [1, 2]), ctx);

  const unitNames = ['stem', 'block1', 'block2', 'block3', 'head'];
  const forward = (x: tf.Tensor, options: ForwardOptions): ForwardResult => {
    const ctx: ForwardContext = { training: options.training, statUpdates: [] };
    const units: tf.Tensor[] = [];
    let h = stem(x, ctx);
    if (options.collect) units.push(h);
    // `disabledBlocks` is not supported: a dense block cannot pass its input through (the channel
    // counts differ), and the probes refuse `--arch densenet`.
    for (const block of blocks) {
      h = block(h, ctx);
      if (options.collect) units.push(h);
    }
    const output = head(h, ctx);
    if (options.collect) units.push(output);
    return { output, units, statUpdates: ctx.statUpdates };
  };
  return {
    config,
    params: store.params,
    state: store.state,
    unitNames,
    blockCount: 3,
    forward,
    dispose: () => store.dispose(),
  };
}

/** The channel counts after the stem and after each dense block (with its transition), for tests and help. */
export function denseNetChannels(growth: number, depth: number): { stem: number; blocks: number[] } {
  const perBlock = (depth - 4) / 3;
  let c = 2 * growth;
  const blocks: number[] = [];
  for (let b = 1; b <= 3; b++) {
    c += perBlock * growth;
    if (b < 3) c = Math.max(1, Math.floor(c / 2));
    blocks.push(c);
  }
  return { stem: 2 * growth, blocks };
}

/** 2x2 average pooling, stride 2 ('valid': an odd last row or column is dropped). */
function avgPool2(x: tf.Tensor): tf.Tensor {
  const [, h, w] = x.shape;
  if ((h ?? 0) < 2 || (w ?? 0) < 2) return x;
  return tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid');
}
