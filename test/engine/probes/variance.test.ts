import * as tf from '../../../src/engine/tf.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend.js';
import { resolveVarianceOptions } from '../../../src/contracts/probe-options.js';
import { runVariance } from '../../../src/engine/probes/variance.js';
import type { VarianceResult } from '../../../src/contracts/probe-results.js';

let result: VarianceResult;

beforeAll(async () => {
  await initBackend('wasm');
  // The defaults: MLP, 32 blocks, width 256, 256 Fashion-MNIST inputs, 4 initialisations, seed 1.
  const before = tf.memory().numTensors;
  result = await runVariance(resolveVarianceOptions({}));
  expect(tf.memory().numTensors).toBe(before);
});

const series = (arch: string) => result.series.find((s) => s.arch === arch)!;

describe('variance probe (MLP, 32 blocks, He init)', () => {
  it('reports every block for plain, residual and residual-bn', () => {
    expect(result.blocks).toBe(32);
    expect(result.series.map((s) => s.arch)).toEqual(['plain', 'plain-bn', 'residual', 'residual-bn']);
    for (const s of result.series) {
      expect(s.meanSquare).toHaveLength(32);
      expect(s.batchVariance).toHaveLength(32);
      expect(s.meanSquare.every((v) => v !== null && v > 0)).toBe(true);
    }
  });

  it('residual: at least 1000 times the first block by block 32, about doubling per block', () => {
    const s = series('residual');
    expect(s.meanSquare[31]! / s.meanSquare[0]!).toBeGreaterThan(1000);
    expect(s.batchVariance[31]! / s.batchVariance[0]!).toBeGreaterThan(1000);
    expect(s.fit.law).toBe('exponential');
    expect(s.fit.ratio!).toBeGreaterThan(1.7);
    expect(s.fit.ratio!).toBeLessThan(2.3);
  });

  it('residual-bn: under 100 times the first block, growing linearly by about one unit per block', () => {
    const s = series('residual-bn');
    expect(s.meanSquare[31]! / s.meanSquare[0]!).toBeLessThan(100);
    expect(s.batchVariance[31]! / s.batchVariance[0]!).toBeLessThan(100);
    expect(s.fit.law).toBe('linear');
    expect(s.fit.slope!).toBeGreaterThan(0.7);
    expect(s.fit.slope!).toBeLessThan(1.3);
  });

  it('plain: every block within 10 times the first block', () => {
    const s = series('plain');
    const first = s.meanSquare[0]!;
    for (const v of s.meanSquare) {
      expect(v!).toBeLessThan(first * 10);
      expect(v!).toBeGreaterThan(first / 10);
    }
    expect(s.fit.law).toBe('constant');
  });

  it('measures CNNs too (ResNet-8 layout, 3 blocks)', async () => {
    const before = tf.memory().numTensors;
    const r = await runVariance(resolveVarianceOptions({ net: 'cnn', depth: 8, width: 4, batchSize: 8, arch: 'residual,residual-bn' }));
    expect(tf.memory().numTensors).toBe(before);
    expect(r.blocks).toBe(3);
    expect(r.series.map((s) => s.arch)).toEqual(['residual', 'residual-bn']);
    for (const s of r.series) expect(s.meanSquare.every((v) => v !== null && Number.isFinite(v) && v > 0)).toBe(true);
  });
});
