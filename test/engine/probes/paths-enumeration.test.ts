import * as tf from '../../../src/engine/tf.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend.js';
import { resolveConfig } from '../../../src/contracts/train-config.js';
import { buildModel, type Model } from '../../../src/engine/models/model.js';
import { pathInputGradient } from '../../../src/engine/probes/paths.js';
import { Rng } from '../../../src/util/rng.js';

/**
 * The paths probe's single-path gradients checked against an independent computation. The derivative
 * of a net at a point is the chain-rule product over blocks of (skip Jacobian + branch Jacobian), each
 * taken at that forward pass (ReLU on/off patterns, BatchNorm statistics); multiplied out it is a sum
 * of 2^K products, one per path. That decomposition of the gradient vector is exact, so every path's
 * gradient can be computed by hand and the 2^K of them must add up to the full gradient.
 */

beforeAll(async () => {
  await initBackend('wasm');
});

const K = 4;
const IN = 3;
const W = 5;
const CLASSES = 3;
const N = 4;

function allSubsets(k: number): Set<number>[] {
  return Array.from(
    { length: 2 ** k },
    (_, mask) => new Set(Array.from({ length: k }, (_, i) => i + 1).filter((b) => mask & (1 << (b - 1)))),
  );
}

/** Row-major [rows, cols] matrix from a model parameter. */
function weights(model: Model, name: string): { v: Float32Array; rows: number; cols: number } {
  const p = model.params.find((q) => q.name === name)!;
  return { v: p.variable.dataSync() as Float32Array, rows: p.variable.shape[0]!, cols: p.variable.shape[1] ?? 1 };
}

/** x [rows] times M [rows, cols] + b. */
function affine(x: number[], m: { v: Float32Array; rows: number; cols: number }, b?: Float32Array): number[] {
  return Array.from({ length: m.cols }, (_, j) => x.reduce((s, xi, i) => s + xi * m.v[i * m.cols + j]!, b ? b[j]! : 0));
}

/** g [cols] times Mᵀ: the backward pass through x·M. */
function back(g: number[], m: { v: Float32Array; rows: number; cols: number }): number[] {
  return Array.from({ length: m.rows }, (_, i) => g.reduce((s, gj, j) => s + gj * m.v[i * m.cols + j]!, 0));
}

/**
 * The residual MLP of model.ts in `branch` order, by hand: h0 = relu(x·W0 + b0),
 * h_k = h_{k-1} + relu(h_{k-1}·A_k + a_k)·B_k + b_k, logits = h_K·H + c. Returns the gradient of
 * one example's cross-entropy at its input along the path through the branches of `path`.
 */
function handPathGradient(model: Model, x: number[], label: number, path: ReadonlySet<number>): number[] {
  const bias = (name: string) => model.params.find((p) => p.name === name)!.variable.dataSync() as Float32Array;
  const pre0 = affine(x, weights(model, 'stem/w'), bias('stem/b'));
  let h = pre0.map((v) => Math.max(0, v));
  const masks: number[][] = [];
  for (let k = 1; k <= K; k++) {
    const pre = affine(h, weights(model, `block${k}/lin1/w`), bias(`block${k}/lin1/b`));
    masks.push(pre.map((v) => (v > 0 ? 1 : 0)));
    const f = affine(
      pre.map((v) => Math.max(0, v)),
      weights(model, `block${k}/lin2/w`),
      bias(`block${k}/lin2/b`),
    );
    h = h.map((v, i) => v + f[i]!);
  }
  const logits = affine(h, weights(model, 'head/w'), bias('head/b'));
  const top = Math.max(...logits);
  const e = logits.map((z) => Math.exp(z - top));
  const sum = e.reduce((a, b) => a + b, 0);
  let g = back(
    e.map((v, j) => v / sum - (j === label ? 1 : 0)),
    weights(model, 'head/w'),
  );
  for (let k = K; k >= 1; k--) {
    if (!path.has(k)) continue; // the skip: identity Jacobian
    const inner = back(g, weights(model, `block${k}/lin2/w`)).map((v, i) => v * masks[k - 1]![i]!);
    g = back(inner, weights(model, `block${k}/lin1/w`));
  }
  return back(
    g.map((v, i) => (pre0[i]! > 0 ? v : 0)),
    weights(model, 'stem/w'),
  );
}

function randomiseBiases(model: Model, seed: number): void {
  const rng = new Rng(seed);
  for (const p of model.params) {
    if (p.name.endsWith('/b')) p.variable.assign(tf.tensor(rng.normalArray(p.variable.size, 0.5), p.variable.shape));
  }
}

describe('paths probe: single-path gradients', () => {
  it('match a hand computation of every one of the 2^4 paths, and add up to the full gradient', () => {
    const model = buildModel(resolveConfig({ net: 'mlp', arch: 'residual', depth: K, width: W, blockOrder: 'branch' }), [IN], CLASSES, 5);
    randomiseBiases(model, 11);
    const rng = new Rng(2);
    const xv = rng.normalArray(N * IN, 1);
    const labels = [0, 2, 1, 2];
    const xs = tf.tensor(xv, [N, IN]);
    const ys = tf.tensor1d(labels, 'int32');
    const before = tf.memory().numTensors;
    try {
      const total = new Float64Array(N * IN);
      for (const path of allSubsets(K)) {
        const g = pathInputGradient(model, xs, ys, path, false, true, CLASSES);
        const got = g.dataSync();
        g.dispose();
        for (let i = 0; i < N; i++) {
          const want = handPathGradient(model, Array.from(xv.subarray(i * IN, (i + 1) * IN)), labels[i]!, path);
          for (let j = 0; j < IN; j++) expect(got[i * IN + j]!).toBeCloseTo(want[j]!, 4);
        }
        got.forEach((v, i) => (total[i]! += v));
      }
      const full = pathInputGradient(model, xs, ys, null, false, true, CLASSES);
      const fv = full.dataSync();
      full.dispose();
      const scale = Math.max(...Array.from(fv, Math.abs));
      expect(scale).toBeGreaterThan(0);
      fv.forEach((v, i) => expect(Math.abs(v - total[i]!)).toBeLessThan(1e-4 * scale));
      // The decomposition is not trivial: the longest path is a sizeable part of the gradient.
      const longest = pathInputGradient(model, xs, ys, new Set([1, 2, 3, 4]), false, true, CLASSES);
      expect(tf.tidy(() => tf.norm(longest).dataSync()[0]!)).toBeGreaterThan(1e-3 * scale);
      longest.dispose();
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      tf.dispose([xs, ys]);
      model.dispose();
    }
  });

  for (const c of [
    { net: 'mlp', blockOrder: 'post', shape: [IN], depth: 3, training: true },
    { net: 'cnn', blockOrder: 'post', shape: [8, 8, 1], depth: 8, training: true },
    { net: 'cnn', blockOrder: 'preact', shape: [8, 8, 1], depth: 8, training: false },
  ] as const) {
    it(`add up to the full gradient in a ${c.net} residual-bn net (${c.blockOrder} order, BatchNorm ${c.training ? 'with batch statistics' : 'frozen'})`, () => {
      const model = buildModel(
        resolveConfig({ net: c.net, arch: 'residual-bn', depth: c.depth, width: 4, blockOrder: c.blockOrder }),
        c.shape,
        CLASSES,
        7,
      );
      const size = (c.shape as readonly number[]).reduce((a, b) => a * b, 1);
      const xs = tf.tensor(new Rng(3).normalArray(N * size, 1), [N, ...c.shape]);
      const ys = tf.tensor1d([0, 1, 2, 1], 'int32');
      try {
        const sum = tf.tidy(() =>
          allSubsets(model.blockCount).reduce(
            (acc, path) => tf.add(acc, pathInputGradient(model, xs, ys, path, c.training, true, CLASSES)),
            tf.zerosLike(xs),
          ),
        );
        const full = pathInputGradient(model, xs, ys, null, c.training, true, CLASSES);
        const err = tf.tidy(() => tf.max(tf.abs(tf.sub(sum, full))).dataSync()[0]! / tf.max(tf.abs(full)).dataSync()[0]!);
        tf.dispose([sum, full]);
        expect(err).toBeLessThan(1e-3);
      } finally {
        tf.dispose([xs, ys]);
        model.dispose();
      }
    });
  }
});
