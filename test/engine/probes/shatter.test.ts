import * as tf from '../../../src/engine/tf.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend.js';
import { resolveShatterOptions } from '../../../src/contracts/probe-options.js';
import { runShatter } from '../../../src/engine/probes/shatter.js';
import type { ShatterResult } from '../../../src/contracts/probe-results.js';
import { autocorrelation, correlationLength, neighbourCorrelation } from '../../../src/engine/probes/stats.js';
import { Rng } from '../../../src/util/rng.js';

let result: ShatterResult;

beforeAll(async () => {
  await initBackend('wasm');
  const before = tf.memory().numTensors;
  result = await runShatter(resolveShatterOptions({ depth: 24, width: 200, points: 256, seed: 1 }));
  expect(tf.memory().numTensors).toBe(before);
});

const net = (key: string) => result.nets.find((n) => n.key === key)!;

describe('shatter probe (depth 24, width 200, 256 points)', () => {
  it('computes one gradient per grid point for each net', () => {
    expect(result.nets.map((n) => n.key)).toEqual(['shallow', 'plain', 'plain-bn', 'residual', 'residual-bn']);
    for (const n of result.nets) {
      expect(n.gradient).toHaveLength(256);
      expect(n.autocorrelation[0]).toBeCloseTo(1, 10);
    }
  });

  it('a deep plain net (with BatchNorm) shatters: neighbouring gradients correlate under 0.2', () => {
    expect(net('plain-bn').blocks).toBe(24);
    expect(Math.abs(net('plain-bn').neighbourCorrelation!)).toBeLessThan(0.2);
  });

  it('the same blocks with shortcuts (residual-bn) keep neighbouring gradients correlated over 0.5', () => {
    expect(net('residual-bn').neighbourCorrelation!).toBeGreaterThan(0.5);
  });

  it('a 1-block net has smooth gradients, correlation over 0.8', () => {
    expect(net('shallow').blocks).toBe(1);
    expect(net('shallow').neighbourCorrelation!).toBeGreaterThan(0.8);
  });

  it('without BatchNorm and with zero biases the gradient is constant on each side of x = 0 (homogeneity)', async () => {
    const zero = await runShatter(resolveShatterOptions({ depth: 6, width: 64, points: 256, seed: 1, bias: 0 }));
    expect(zero.bias).toBe(0);
    for (const key of ['plain', 'residual']) {
      const g = zero.nets.find((n) => n.key === key)!.gradient.map((v) => v!);
      const xs = g.map((_, i) => -2 + (4 * i) / 255);
      const right = g.filter((_, i) => xs[i]! > 0.02);
      const left = g.filter((_, i) => xs[i]! < -0.02);
      for (const side of [left, right]) {
        const scale = Math.max(...side.map(Math.abs));
        for (const v of side) expect(Math.abs(v - side[0]!)).toBeLessThan(1e-3 * scale);
      }
    }
  });

  it('by default the nets without BatchNorm get random biases, which break the homogeneity', () => {
    expect(result.bias).toBe(1);
    for (const key of ['plain', 'residual']) {
      const g = net(key).gradient.map((v) => v!);
      // Piecewise constant would give 2 distinct values; kinks all over the grid give many.
      expect(new Set(g.map((v) => v.toPrecision(4))).size).toBeGreaterThan(20);
    }
  });

  it('with BatchNorm, gradients decorrelate with depth, and more slowly with shortcuts (two seeds)', async () => {
    for (const seed of [1, 2]) {
      const corr = async (depth: number) => {
        const r = await runShatter(resolveShatterOptions({ depth, width: 64, points: 128, seed, spacing: 4 / 255 }));
        return (key: string) => r.nets.find((n) => n.key === key)!.neighbourCorrelation!;
      };
      const one = await corr(1);
      const twelve = await corr(12);
      expect(twelve('residual-bn')).toBeLessThan(one('residual-bn'));
      expect(twelve('plain-bn')).toBeLessThan(one('plain-bn'));
      expect(twelve('residual-bn')).toBeGreaterThan(twelve('plain-bn'));
    }
  });

  it('--spacing fixes the distance between neighbouring inputs whatever the number of points', async () => {
    const r = await runShatter(resolveShatterOptions({ depth: 2, width: 16, points: 64, spacing: 0.01 }));
    expect(r.spacing).toBe(0.01);
    expect(r.range[0]).toBeCloseTo(-0.315, 10);
    expect(r.range[1]).toBeCloseTo(0.315, 10);
    expect(result.spacing).toBeCloseTo(4 / 255, 12);
  });

  it('an input-layer bias breaks the homogeneity', async () => {
    const r = await runShatter(resolveShatterOptions({ depth: 4, width: 32, points: 64, inputBias: 1, bias: 0 }));
    const g = r.nets.find((n) => n.key === 'plain')!.gradient.map((v) => v!);
    expect(new Set(g.slice(40).map((v) => v.toPrecision(4))).size).toBeGreaterThan(2);
  });
});

describe('correlation statistics', () => {
  it('white noise has neighbour correlation near 0, a slow sine near 1', () => {
    const rng = new Rng(3);
    const noise = Array.from({ length: 4096 }, () => rng.normal());
    expect(Math.abs(neighbourCorrelation(noise)!)).toBeLessThan(0.05);
    const sine = Array.from({ length: 256 }, (_, i) => Math.sin(i / 20));
    expect(neighbourCorrelation(sine)!).toBeGreaterThan(0.99);
  });

  it('autocorrelation of an alternating sequence is +1, -1, ... (scaled by overlap)', () => {
    const alt = Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? 1 : -1));
    const acf = autocorrelation(alt, 3);
    expect(acf[0]).toBeCloseTo(1);
    expect(acf[1]).toBeCloseTo(-0.9);
    expect(acf[2]).toBeCloseTo(0.8);
    expect(correlationLength(acf, 0.5)).toBeCloseTo((0.5 * (1 - 1 / Math.E)) / 1.9, 6);
  });
});

describe('BatchNorm with the grid as its batch', () => {
  it('evaluation mode with the recovered statistics computes the training-mode function', async () => {
    const { useBatchStatistics } = await import('../../../src/engine/probes/shatter.js');
    const { buildModel } = await import('../../../src/engine/models/model.js');
    const { resolveConfig } = await import('../../../src/contracts/train-config.js');
    for (const blockOrder of ['post', 'branch', 'preact'] as const) {
      const model = buildModel(resolveConfig({ net: 'mlp', arch: 'residual-bn', depth: 1, width: 16, blockOrder }), [1], 1, 4);
      const xs = tf.reshape(tf.linspace(-2, 2, 64), [64, 1]);
      try {
        await useBatchStatistics(model, xs);
        const err = tf.tidy(() => {
          const train = model.forward(xs, { training: true });
          const evalOut = model.forward(xs, { training: false }).output;
          const e = tf.max(tf.abs(tf.sub(train.output, evalOut))).dataSync()[0]! / tf.max(tf.abs(train.output)).dataSync()[0]!;
          train.statUpdates.forEach((u) => u.value.dispose());
          return e;
        });
        expect(err).toBeLessThan(1e-5);
      } finally {
        xs.dispose();
        model.dispose();
      }
    }
  });
});
