import * as tf from '../tf.js';
import { UserError } from '../../util/errors.js';
import { hasShortcuts, type ModelConfig } from '../../contracts/train-config.js';
import { batchNorm, conv, identity, seq, type ForwardContext, type Layer } from './layers.js';
import type { ForwardOptions, ForwardResult, Model } from './model-types.js';
import { ParamStore } from './params.js';

/**
 * A small U-Net (Ronneberger et al., 2015) for `--net unet` on a segmentation data set. With base
 * channels w (`--width`):
 *
 *   down1       conv3x3-BN-ReLU x2 to w channels, full resolution; then 2x2 max pooling
 *   down2       conv3x3-BN-ReLU x2 to 2w channels, 1/2 resolution; then 2x2 max pooling
 *   bottleneck  conv3x3-BN-ReLU x2 to 4w channels, 1/4 resolution
 *   up2         nearest-neighbour upsampling x2, concatenated with down2's output, conv3x3-BN-ReLU x2 to 2w
 *   up1         nearest-neighbour upsampling x2, concatenated with down1's output, conv3x3-BN-ReLU x2 to w
 *   head        conv1x1 to one logit per pixel
 *
 * `--arch plain` drops the two skip concatenations (the decoder sees only the coarse bottleneck), the
 * lesson's point: the skips are what make sharp masks possible. `residual-bn` (the default) keeps
 * them; `residual` keeps them without BatchNorm. The depth is fixed. These are also the unit names
 * for the instruments, input side first.
 */
export const UNET_UNITS = ['down1', 'down2', 'bottleneck', 'up2', 'up1', 'head'] as const;

export function buildUNet(config: ModelConfig, inputShape: readonly number[], seed: number): Model {
  const [height, width, channels] = inputShape;
  if (
    inputShape.length !== 3 ||
    height === undefined ||
    width === undefined ||
    channels === undefined ||
    height % 4 !== 0 ||
    width % 4 !== 0
  ) {
    throw new UserError(
      `--net unet needs images whose height and width are multiples of 4 (two 2x2 poolings); this data set's examples have shape [${inputShape.join(', ')}].`,
    );
  }
  const store = new ParamStore(seed);
  // `plain` and `plain-bn` both mean without the skip concatenations (a U-Net level always has BN).
  const skips = hasShortcuts(config.arch);
  const bn = config.arch !== 'residual';
  const w = config.width;
  const convBnRelu = (name: string, unit: number, inC: number, outC: number, gain = 2): Layer =>
    seq(conv(store, `${name}`, unit, 3, inC, outC, 1, !bn, gain), bn ? batchNorm(store, `${name}/bn`, unit, outC) : identity, (x) =>
      tf.relu(x),
    );
  const double = (name: string, unit: number, inC: number, outC: number, gain = 2): Layer =>
    seq(convBnRelu(`${name}/conv1`, unit, inC, outC, gain), convBnRelu(`${name}/conv2`, unit, outC, outC));

  // The first convolution reads the normalised image (not a ReLU output): gain 1.
  const down1 = double('down1', 0, channels, w, 1);
  const down2 = double('down2', 1, w, 2 * w);
  const bottleneck = double('bottleneck', 2, 2 * w, 4 * w);
  const up2 = double('up2', 3, 4 * w + (skips ? 2 * w : 0), 2 * w);
  const up1 = double('up1', 4, 2 * w + (skips ? w : 0), w);
  const head = conv(store, 'head', 5, 1, w, 1, 1, true, 1);

  const pool = (x: tf.Tensor) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid');
  const upsample = (x: tf.Tensor) => tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [x.shape[1]! * 2, x.shape[2]! * 2]);
  const join = (up: tf.Tensor, skip: tf.Tensor) => (skips ? tf.concat([up, skip], 3) : up);

  const forward = (x: tf.Tensor, options: ForwardOptions): ForwardResult => {
    const ctx: ForwardContext = { training: options.training, statUpdates: [] };
    const d1 = down1(x, ctx);
    const d2 = down2(pool(d1), ctx);
    const b = bottleneck(pool(d2), ctx);
    const u2 = up2(join(upsample(b), d2), ctx);
    const u1 = up1(join(upsample(u2), d1), ctx);
    const output = head(u1, ctx);
    return { output, units: options.collect ? [d1, d2, b, u2, u1, output] : [], statUpdates: ctx.statUpdates };
  };
  return {
    config,
    params: store.params,
    state: store.state,
    unitNames: [...UNET_UNITS],
    blockCount: UNET_UNITS.length - 2,
    forward,
    dispose: () => store.dispose(),
  };
}
