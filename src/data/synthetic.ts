/**
 * Small synthetic data sets for lessons and probes, generated in memory and fully determined by the
 * seed (the same seed gives the same bytes on every machine).
 *
 *   synthetic-1d      1-D regression on a grid: y = 0.5 sin(3 pi x) + 0.3 x, noisy train targets.
 *   synthetic-spiral  three interleaved spiral arms in 2-D, 3 classes.
 *   synthetic-shapes  16x16 grey images of one filled circle or square on noise, 2 classes.
 *   synthetic-segment the same images with the shape's mask as the target (1 inside, 0 outside).
 */
import { checkLimit, checkSeed, DEFAULT_SEED } from './split.js';
import { deriveSeed, permutation, Rng } from '../util/rng.js';
import type { Dataset, LoadOptions, Split } from './types.js';

export const SYNTHETIC_NAMES = ['synthetic-1d', 'synthetic-spiral', 'synthetic-shapes', 'synthetic-segment'] as const;
export type SyntheticName = (typeof SYNTHETIC_NAMES)[number];

// ---------------------------------------------------------------------------------------------
// synthetic-1d

export const SYNTHETIC_1D_TRAIN = 2048;
export const SYNTHETIC_1D_VAL = 512;
/** Standard deviation of the noise added to training targets. */
export const SYNTHETIC_1D_NOISE = 0.05;

/** The noise-free target of synthetic-1d: smooth but wiggly on [-1, 1]. */
export function synthetic1dTarget(x: number): number {
  return 0.5 * Math.sin(3 * Math.PI * x) + 0.3 * x;
}

/**
 * Training: `n` evenly spaced points on [-1, 1] (endpoints included) in a seeded shuffled order,
 * with noisy targets. Validation: `nVal` noise-free points at the centres of an even grid, in
 * increasing x (ready to plot as a curve).
 */
export function loadSynthetic1d(opts: LoadOptions = {}): Dataset {
  const seed = checkSeed(opts.seed, DEFAULT_SEED);
  const n = Math.min(SYNTHETIC_1D_TRAIN, checkLimit(opts.trainLimit, 'trainLimit'));
  const nVal = Math.min(SYNTHETIC_1D_VAL, checkLimit(opts.valLimit, 'valLimit'));
  const rng = new Rng(deriveSeed(seed, 'synthetic-1d', 'train'));
  const order = permutation(n, deriveSeed(seed, 'synthetic-1d', 'order'));
  const tx = new Float32Array(n);
  const ty = new Float32Array(n);
  for (const [i, g] of order.entries()) {
    const x = n === 1 ? 0 : -1 + (2 * g) / (n - 1);
    tx[i] = x;
    ty[i] = synthetic1dTarget(x) + SYNTHETIC_1D_NOISE * rng.normal();
  }
  const vx = new Float32Array(nVal);
  const vy = new Float32Array(nVal);
  for (let i = 0; i < nVal; i++) {
    const x = -1 + (2 * (i + 0.5)) / nVal;
    vx[i] = x;
    vy[i] = synthetic1dTarget(x);
  }
  return {
    name: 'synthetic-1d',
    inputShape: [1],
    task: 'regression',
    numClasses: 1,
    train: { x: tx, y: ty, n },
    val: { x: vx, y: vy, n: nVal },
  };
}

// ---------------------------------------------------------------------------------------------
// synthetic-spiral

export const SYNTHETIC_SPIRAL_TRAIN = 3000;
export const SYNTHETIC_SPIRAL_VAL = 600;
export const SPIRAL_CLASSES = ['arm 0', 'arm 1', 'arm 2'] as const;

/** `n` points of three spiral arms (classes balanced, order shuffled), inside roughly [-1, 1]^2. */
export function spiralPoints(n: number, seed: number): Split {
  const rng = new Rng(seed);
  const order = permutation(n, deriveSeed(seed, 'order'));
  const x = new Float32Array(n * 2);
  const y = new Uint8Array(n);
  for (const [i, g] of order.entries()) {
    const cls = g % 3;
    const t = rng.next(); // position along the arm, 0 at the centre
    const angle = (cls * 2 * Math.PI) / 3 + t * 1.75 * Math.PI + 0.12 * rng.normal();
    const r = 0.05 + 0.95 * t;
    x[2 * i] = r * Math.cos(angle);
    x[2 * i + 1] = r * Math.sin(angle);
    y[i] = cls;
  }
  return { x, y, n };
}

export function loadSyntheticSpiral(opts: LoadOptions = {}): Dataset {
  const seed = checkSeed(opts.seed, DEFAULT_SEED);
  const n = Math.min(SYNTHETIC_SPIRAL_TRAIN, checkLimit(opts.trainLimit, 'trainLimit'));
  const nVal = Math.min(SYNTHETIC_SPIRAL_VAL, checkLimit(opts.valLimit, 'valLimit'));
  return {
    name: 'synthetic-spiral',
    inputShape: [2],
    task: 'classification',
    numClasses: 3,
    classNames: SPIRAL_CLASSES,
    train: spiralPoints(n, deriveSeed(seed, 'synthetic-spiral', 'train')),
    val: spiralPoints(nVal, deriveSeed(seed, 'synthetic-spiral', 'val')),
  };
}

// ---------------------------------------------------------------------------------------------
// synthetic-shapes

export const SYNTHETIC_SHAPES_TRAIN = 4000;
export const SYNTHETIC_SHAPES_VAL = 800;
export const SHAPE_KINDS = ['circle', 'square'] as const;
export type ShapeKind = (typeof SHAPE_KINDS)[number];

export interface DrawnShape {
  readonly kind: ShapeKind;
  /** `size * size` pixels in [0, 1], row-major. */
  readonly image: Float32Array;
  /** `size * size`, 1 where the shape is, 0 elsewhere (segmentation target). */
  readonly mask: Uint8Array;
  /** Centre (x = column, y = row) in pixel units, and the shape's radius (circle) or half side (square). */
  readonly cx: number;
  readonly cy: number;
  readonly extent: number;
}

/**
 * Draws one filled circle or square (equal areas for equal "size", so brightness sums do not give the
 * class away) at a random place on a noisy background, with a random brightness.
 */
export function drawShape(rng: Rng, kind: ShapeKind, size = 16): DrawnShape {
  const s = 2.5 + rng.next() * Math.max(0, Math.min(3, size / 2 - 3)); // circle radius
  const extent = kind === 'circle' ? s : (s * Math.sqrt(Math.PI)) / 2; // square half side, same area
  const margin = extent + 0.5;
  const cx = margin + rng.next() * Math.max(0, size - 2 * margin);
  const cy = margin + rng.next() * Math.max(0, size - 2 * margin);
  const brightness = 0.55 + 0.4 * rng.next();
  const image = new Float32Array(size * size);
  const mask = new Uint8Array(size * size);
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      const dx = col + 0.5 - cx;
      const dy = row + 0.5 - cy;
      const inside = kind === 'circle' ? dx * dx + dy * dy <= extent * extent : Math.abs(dx) <= extent && Math.abs(dy) <= extent;
      const i = row * size + col;
      const v = inside ? brightness + 0.08 * rng.normal() : 0.3 * rng.next();
      image[i] = v < 0 ? 0 : v > 1 ? 1 : v;
      mask[i] = inside ? 1 : 0;
    }
  }
  return { kind, image, mask, cx, cy, extent };
}

/** Raw shape images in [0, 1] with masks and labels (0 circle, 1 square; balanced, shuffled). */
export function generateShapes(n: number, seed: number, size = 16): { images: Float32Array; masks: Uint8Array; labels: Uint8Array } {
  const rng = new Rng(seed);
  const order = permutation(n, deriveSeed(seed, 'order'));
  const images = new Float32Array(n * size * size);
  const masks = new Uint8Array(n * size * size);
  const labels = new Uint8Array(n);
  for (const [i, g] of order.entries()) {
    const label = g % 2;
    const kind = SHAPE_KINDS[label];
    if (kind === undefined) throw new Error(`shape label ${label} is not 0 or 1`);
    const shape = drawShape(rng, kind, size);
    images.set(shape.image, i * size * size);
    masks.set(shape.mask, i * size * size);
    labels[i] = label;
  }
  return { images, masks, labels };
}

/** Pixel mean and std of synthetic-shapes images (measured over 100,000 generated images). */
export const SHAPES_PIXEL_MEAN = 0.2725;
export const SHAPES_PIXEL_STD = 0.2611;

export function loadSyntheticShapes(opts: LoadOptions = {}): Dataset {
  const seed = checkSeed(opts.seed, DEFAULT_SEED);
  const n = Math.min(SYNTHETIC_SHAPES_TRAIN, checkLimit(opts.trainLimit, 'trainLimit'));
  const nVal = Math.min(SYNTHETIC_SHAPES_VAL, checkLimit(opts.valLimit, 'valLimit'));
  const split = (count: number, part: string): Split => {
    const { images, labels } = generateShapes(count, deriveSeed(seed, 'synthetic-shapes', part));
    for (const [i, v] of images.entries()) images[i] = (v - SHAPES_PIXEL_MEAN) / SHAPES_PIXEL_STD;
    return { x: images, y: labels, n: count };
  };
  return {
    name: 'synthetic-shapes',
    inputShape: [16, 16, 1],
    task: 'classification',
    numClasses: 2,
    classNames: SHAPE_KINDS,
    train: split(n, 'train'),
    val: split(nVal, 'val'),
  };
}

// ---------------------------------------------------------------------------------------------
// synthetic-segment

export const SYNTHETIC_SEGMENT_TRAIN = 4000;
export const SYNTHETIC_SEGMENT_VAL = 800;

/**
 * Segmentation of synthetic-shapes images: x is the normalised image, y the shape's binary mask
 * (`n * 16 * 16` floats, 1 inside the shape). Drawn from streams of their own, so the images differ
 * from synthetic-shapes' for the same seed.
 */
export function loadSyntheticSegment(opts: LoadOptions = {}): Dataset {
  const seed = checkSeed(opts.seed, DEFAULT_SEED);
  const n = Math.min(SYNTHETIC_SEGMENT_TRAIN, checkLimit(opts.trainLimit, 'trainLimit'));
  const nVal = Math.min(SYNTHETIC_SEGMENT_VAL, checkLimit(opts.valLimit, 'valLimit'));
  const split = (count: number, part: string): Split => {
    const { images, masks } = generateShapes(count, deriveSeed(seed, 'synthetic-segment', part));
    for (const [i, v] of images.entries()) images[i] = (v - SHAPES_PIXEL_MEAN) / SHAPES_PIXEL_STD;
    return { x: images, y: Float32Array.from(masks), n: count };
  };
  return {
    name: 'synthetic-segment',
    inputShape: [16, 16, 1],
    task: 'segmentation',
    numClasses: 1,
    train: split(n, 'train'),
    val: split(nVal, 'val'),
  };
}
