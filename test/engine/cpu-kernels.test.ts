import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { nearestSource, registerCpuKernelFixes, resizeNearestNeighborGradValues } from '../../src/engine/cpu-kernels.js';

/**
 * The reference is built from the forward op alone: resizing an image whose pixels hold their own
 * flat index tells, for every output pixel, which input pixel it copies; the gradient of
 * sum(w * resize(x)) is then w scattered onto those pixels. Nothing of the gradient kernels is used.
 */
function referenceGrad(
  shape: [number, number, number, number],
  size: [number, number],
  w: Float32Array,
  alignCorners: boolean,
): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const index = tf.tensor4d(
    Float32Array.from({ length: n }, (_, i) => i),
    shape,
  );
  const src = tf.image.resizeNearestNeighbor(index, size, alignCorners).dataSync();
  index.dispose();
  const dx = new Float32Array(n);
  src.forEach((s, i) => (dx[s]! += w[i]!));
  return dx;
}

function seeded(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  });
}

describe('cpu ResizeNearestNeighborGrad', () => {
  beforeAll(async () => {
    tf.env().set('PROD', true);
    await tf.setBackend('cpu');
  });

  const cases: { shape: [number, number, number, number]; size: [number, number]; align: boolean }[] = [
    { shape: [3, 4, 4, 2], size: [8, 8], align: false }, // the U-Net's 2x upsampling
    { shape: [2, 3, 5, 1], size: [7, 4], align: false }, // non-integer scales, up and down
    { shape: [4, 3, 3, 3], size: [6, 5], align: true },
  ];

  it('stock tfjs-backend-cpu 4.22 is wrong for batch > 1 (why we replace it)', () => {
    const { shape, size } = cases[0]!;
    const x = tf.tensor4d(
      seeded(
        shape.reduce((a, b) => a * b, 1),
        1,
      ),
      shape,
    );
    const w = seeded(shape[0] * size[0] * size[1] * shape[3], 2);
    const wT = tf.tensor4d(w, [shape[0], size[0], size[1], shape[3]]);
    const stock = tf
      .grad((v: tf.Tensor) => tf.sum(tf.mul(tf.image.resizeNearestNeighbor(v as tf.Tensor4D, size), wT)))(x)
      .dataSync();
    const ref = referenceGrad(shape, size, w, false);
    const firstImage = shape[1] * shape[2] * shape[3];
    // The first image is right, later ones are not.
    expect(Array.from(stock.subarray(0, firstImage))).toEqual(Array.from(ref.subarray(0, firstImage)).map((v) => expect.closeTo(v, 5)));
    expect(Math.max(...Array.from(stock.subarray(firstImage)).map((v, i) => Math.abs(v - ref[firstImage + i]!)))).toBeGreaterThan(1e-3);
    tf.dispose([x, wT]);
  });

  it.each(cases)('the registered kernel matches the forward-derived gradient for %o', ({ shape, size, align }) => {
    registerCpuKernelFixes();
    registerCpuKernelFixes(); // idempotent
    const n = shape.reduce((a, b) => a * b, 1);
    const x = tf.tensor4d(seeded(n, 3), shape);
    const w = seeded(shape[0] * size[0] * size[1] * shape[3], 4);
    const wT = tf.tensor4d(w, [shape[0], size[0], size[1], shape[3]]);
    const before = tf.memory().numTensors;
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.image.resizeNearestNeighbor(v as tf.Tensor4D, size, align), wT)))(x);
    const got = g.dataSync();
    g.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const ref = referenceGrad(shape, size, w, align);
    for (let i = 0; i < n; i++) expect(got[i]).toBeCloseTo(ref[i]!, 5);
    tf.dispose([x, wT]);
  });

  it('the pure mapping copies the forward op', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((o) => nearestSource(o, 4, 8, false))).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
    const dx = resizeNearestNeighborGradValues([1, 2, 3, 4, 10, 20, 30, 40], [2, 1, 1, 1], [2, 2, 2, 1], false);
    expect(Array.from(dx)).toEqual([10, 100]);
  });
});
