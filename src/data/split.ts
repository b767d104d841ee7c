/** Turning packed bytes into normalised, split, limited Float32 data sets. */
import { UserError } from '../util/errors.js';
import type { PackedImages } from './cache.js';
import { deriveSeed, permutation } from '../util/rng.js';
import type { Dataset, LoadOptions, Split } from './types.js';

/** Checks `trainLimit` / `valLimit`: undefined (no limit) or a positive integer. */
export function checkLimit(value: number | undefined, what: 'trainLimit' | 'valLimit'): number {
  if (value === undefined) return Number.POSITIVE_INFINITY;
  if (!Number.isInteger(value) || value < 1) {
    throw new UserError(
      `The ${what === 'trainLimit' ? 'training' : 'validation'} example limit must be a positive whole number, ` +
        `but it was ${String(value)}. Leave it out to use every example.`,
    );
  }
  return value;
}

/** The seed used when `LoadOptions.seed` is not given. */
export const DEFAULT_SEED = 1;

export function checkSeed(seed: number | undefined, fallback: number): number {
  if (seed === undefined) return fallback;
  if (!Number.isFinite(seed) || !Number.isInteger(seed)) {
    throw new UserError(`The seed must be a whole number, but it was ${String(seed)}.`);
  }
  return seed >>> 0;
}

/**
 * Gathers examples `order[0..count)` from bytes (`bytesPerExample` each, starting at `offset`
 * within each example's record of `stride` bytes) into Float32 through a 256-entry lookup table.
 */
export function gatherBytes(
  src: Uint8Array,
  order: ArrayLike<number>,
  count: number,
  pixelsPerExample: number,
  lut: Float32Array,
  labels: Uint8Array,
  recordStride = pixelsPerExample,
  pixelOffset = 0,
): Split {
  const x = new Float32Array(count * pixelsPerExample);
  const y = new Uint8Array(count);
  // Plain Uint8Array views: V8 indexes them faster than Buffer subclasses.
  if (Buffer.isBuffer(src)) src = new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
  if (Buffer.isBuffer(labels)) labels = new Uint8Array(labels.buffer, labels.byteOffset, labels.byteLength);
  // In range throughout: count <= order.length (the callers clamp it), order holds example numbers of
  // src and labels, and a byte is < 256 = lut.length.
  for (let i = 0; i < count; i++) {
    const idx = order[i]!;
    const from = idx * recordStride + pixelOffset;
    const to = i * pixelsPerExample;
    for (let k = 0; k < pixelsPerExample; k++) x[to + k] = lut[src[from + k]!]!;
    y[i] = labels[idx]!;
  }
  return { x, y, n: count };
}

/** Lookup table byte -> (byte/255 - mean) / std. */
export function normaliseLut(mean: number, std: number): Float32Array {
  const lut = new Float32Array(256);
  for (let v = 0; v < 256; v++) lut[v] = (v / 255 - mean) / std;
  return lut;
}

/**
 * A classification data set from packed images: a seeded shuffle of all examples, the last
 * `valCount` of that order for validation and the rest for training; limits take a prefix of each
 * part of the shuffled order, so classes stay roughly balanced.
 */
export function packedDataset(
  meta: Pick<Dataset, 'name' | 'inputShape' | 'classNames'>,
  images: PackedImages,
  valCount: number,
  opts: LoadOptions,
  defaultSeed: number,
): Dataset {
  const trainLimit = checkLimit(opts.trainLimit, 'trainLimit');
  const valLimit = checkLimit(opts.valLimit, 'valLimit');
  const seed = checkSeed(opts.seed, defaultSeed);
  const { n, pixelsPerExample: ppe } = images;
  const order = permutation(n, deriveSeed(seed, meta.name, 'split'));
  const nVal = Math.min(valCount, Math.floor(n / 2));
  const trainOrder = order.subarray(0, n - nVal);
  const valOrder = order.subarray(n - nVal);
  const lut = normaliseLut(images.mean, images.std);
  const train = gatherBytes(images.pixels, trainOrder, Math.min(trainLimit, trainOrder.length), ppe, lut, images.labels);
  const val = gatherBytes(images.pixels, valOrder, Math.min(valLimit, valOrder.length), ppe, lut, images.labels);
  return {
    name: meta.name,
    inputShape: meta.inputShape,
    task: 'classification',
    numClasses: images.numClasses,
    classNames: meta.classNames,
    train,
    val,
  };
}
