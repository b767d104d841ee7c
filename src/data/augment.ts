/**
 * He et al. 2015's CIFAR-10 augmentation (section 4.2): pad each image with 4 zero pixels on every
 * side, take a random crop of the original size, flip it horizontally with probability 1/2. The same
 * as shifting by (dy, dx) in [-4, 4]² with zero fill; zero is the mean pixel after normalisation, as
 * in the paper (mean-subtracted images padded with zeros). No tfjs: it works on the batch's floats.
 */
import { Rng } from '../util/rng.js';

export const AUGMENT_PAD = 4;

/**
 * Augments `n` NHWC images of [height, width, channels] in `x` in place, drawing from `rng` (three
 * draws per image), so a batch's augmentation is a function of the rng's seed alone.
 */
export function cropFlip(x: Float32Array, n: number, shape: readonly number[], rng: Rng): void {
  const [height, width, channels] = shape as [number, number, number];
  const size = height * width * channels;
  const src = new Float32Array(size);
  for (let e = 0; e < n; e++) {
    const dy = rng.int(2 * AUGMENT_PAD + 1) - AUGMENT_PAD;
    const dx = rng.int(2 * AUGMENT_PAD + 1) - AUGMENT_PAD;
    const flip = rng.next() < 0.5;
    const base = e * size;
    src.set(x.subarray(base, base + size));
    for (let i = 0; i < height; i++) {
      const si = i + dy;
      for (let j = 0; j < width; j++) {
        const sj = (flip ? width - 1 - j : j) + dx;
        const to = base + (i * width + j) * channels;
        if (si < 0 || si >= height || sj < 0 || sj >= width) {
          x.fill(0, to, to + channels);
        } else {
          const from = (si * width + sj) * channels;
          for (let c = 0; c < channels; c++) x[to + c] = src[from + c]!;
        }
      }
    }
  }
}

/**
 * Holds out the last `count` training examples (at most half) as the validation split, at most
 * `valLimit` of them: He et al. 2015's 45k/5k split of CIFAR-10's training set. The loaders shuffle
 * the training set with the run's seed, so the held-out examples are a seeded random sample.
 */
export function holdOut<D extends { train: { x: Float32Array; y: Uint8Array | Float32Array; n: number } }>(
  data: D,
  count: number,
  exampleSize: number,
  targetSize: number,
  valLimit: number | null,
): D {
  const n = data.train.n;
  const hold = Math.min(count, Math.floor(n / 2));
  const keep = n - hold;
  const nVal = Math.min(hold, valLimit ?? hold);
  const slice = (from: number, m: number) => ({
    x: data.train.x.subarray(from * exampleSize, (from + m) * exampleSize),
    y: data.train.y.subarray(from * targetSize, (from + m) * targetSize),
    n: m,
  });
  return { ...data, train: slice(0, keep), val: slice(keep, nVal) };
}
