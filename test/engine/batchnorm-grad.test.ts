import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../src/engine/tf.js';
import '@tensorflow/tfjs-backend-wasm';
import { batchNormTrain, sumFold } from '../../src/engine/models/layers.js';
import { Rng } from '../../src/util/rng.js';

/** Values in [-1, 1) from the engine's seeded generator (mulberry32). */
function seeded(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.next() * 2 - 1;
}

function random(shape: number[], rand: () => number, scale = 1, offset = 0): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: size }, () => offset + scale * rand()),
    shape,
  );
}

/** The plain formula, differentiated by tfjs's autodiff (moments included). */
function plain(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const { mean, variance } = tf.moments(x, axes);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), gamma), beta);
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

describe('BatchNorm analytic gradient', () => {
  beforeAll(async () => {
    // Quiet: without PROD, tfjs prints a banner about tfjs-node on the cpu backend's first use.
    tf.env().set('PROD', true);
    await tf.setBackend('cpu');
  });

  // [4, 8, 8, 16]: 256 rows of 16 channels, which wasm sums as a matmul with folded identities.
  for (const shape of [
    [4, 5, 6, 3],
    [16, 7],
    [4, 8, 8, 16],
  ]) {
    it(`matches autodiff of the plain formula for [${shape.join(', ')}] within 1e-4 (cpu and wasm)`, async () => {
      const rand = seeded(shape.length * 101 + shape[0]!);
      const channels = shape.at(-1)!;
      const x = random(shape, rand, 2, 0.5);
      const gamma = random([channels], rand, 0.5, 1);
      const beta = random([channels], rand, 0.5);
      const r = random(shape, rand);
      const loss = (f: typeof plain) => (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, g, b), r));
      const ours = tf.grads(loss((a, g, b) => batchNormTrain(a, g, b)))([x, gamma, beta]);
      const ref = tf.grads(loss(plain))([x, gamma, beta]);
      expect(ours).toHaveLength(3);
      ours.forEach((t, i) => expect(maxAbsDiff(t, ref[i]!)).toBeLessThan(1e-4));
      // The same gradient computed on wasm (its own kernels: depthwise convolution, sums) against the
      // cpu autodiff reference.
      const data = [x, gamma, beta, r].map((t) => ({ values: t.dataSync().slice(), shape: t.shape }));
      const refValues = ref.map((t) => ({ values: t.dataSync().slice(), shape: t.shape }));
      await tf.setBackend('wasm');
      try {
        const [wx, wg, wb, wr] = data.map((d) => tf.tensor(d.values, d.shape)) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        // With and without the folded-identity sums (used for up to 32 channels when the rows allow).
        const fold = sumFold(channels);
        for (const f of [undefined, fold]) {
          const onWasm = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(batchNormTrain(a, g, b, undefined, f), wr)))([
            wx,
            wg,
            wb,
          ]);
          onWasm.forEach((t, i) => expect(maxAbsDiff(t, tf.tensor(refValues[i]!.values, refValues[i]!.shape))).toBeLessThan(1e-4));
        }
        fold.dispose();
      } finally {
        await tf.setBackend('cpu');
      }
      // The forward value too, and the statistics handed to the running-statistics update.
      let stats: number[][] = [];
      const y = batchNormTrain(x, gamma, beta, (m, v) => {
        stats = [Array.from(m.dataSync()), Array.from(v.dataSync())];
      });
      expect(maxAbsDiff(y, plain(x, gamma, beta))).toBeLessThan(1e-4);
      const { mean, variance } = tf.moments(
        x,
        shape.slice(0, -1).map((_, i) => i),
      );
      expect(stats).toHaveLength(2);
      stats[0]!.forEach((m, c) => expect(m).toBeCloseTo(mean.dataSync()[c]!, 5));
      stats[1]!.forEach((v, c) => expect(v).toBeCloseTo(variance.dataSync()[c]!, 5));
    });
  }
});
