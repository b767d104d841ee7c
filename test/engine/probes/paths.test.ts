import * as tf from '../../../src/engine/tf.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend.js';
import { binomialExact, resolvePathsOptions } from '../../../src/contracts/probe-options.js';
import { chooseSubsets, runPaths } from '../../../src/engine/probes/paths.js';
import { UserError } from '../../../src/util/errors.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/** Row n of Pascal's triangle, by additions only. */
function pascal(n: number): number[] {
  let row = [1];
  for (let i = 0; i < n; i++) row = [...row, 0].map((v, k) => v + (k > 0 ? row[k - 1]! : 0));
  return row;
}

describe('paths probe', () => {
  it('counts 2^K paths, C(K, k) of each length, for a 10-block residual net', async () => {
    const options = resolvePathsOptions({ depth: 10, width: 16, batchSize: 16, samples: 2 }, null);
    const before = tf.memory().numTensors;
    const r = await runPaths({
      model: options.model,
      seed: options.seed,
      trained: null,
      dataset: options.dataset,
      batchSize: options.batchSize,
      samples: options.samples,
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.blocks).toBe(10);
    expect(r.totalPaths).toBe(1024);
    expect(r.pathsThroughBlock1).toBe(512);
    expect(r.meanPathLength).toBe(5);
    expect(r.lengths.map((l) => l.count)).toEqual(pascal(10));
    expect(r.lengths.map((l) => l.countExact)).toEqual(pascal(10).map(String));
    expect(r.lengths.reduce((s, l) => s + l.count, 0)).toBe(1024);
    for (const l of r.lengths) {
      expect(l.measured).toBe(true);
      expect(l.gradient!).toBeGreaterThan(0);
    }
    expect(r.lengths.reduce((s, l) => s + l.contributionShare!, 0)).toBeCloseTo(1, 6);
  });

  it('at initialisation (residual-bn), short paths carry most of the gradient: weighted mean length below K/2, two seeds', async () => {
    for (const seed of [1, 2]) {
      const o = resolvePathsOptions({ depth: 12, width: 32, batchSize: 16, samples: 3, seed }, null);
      const r = await runPaths({
        model: o.model,
        seed: o.seed,
        trained: null,
        dataset: o.dataset,
        batchSize: o.batchSize,
        samples: o.samples,
      });
      expect(r.gradientMeanLength!).toBeLessThan(r.meanPathLength);
      // One path's gradient shrinks with the branches on it: the longest path carries less than the shortest.
      expect(r.lengths[12]!.gradient!).toBeLessThan(r.lengths[0]!.gradient!);
    }
  });

  it('binomial coefficients are exact beyond 2^53', () => {
    expect(pascal(30).map((_, k) => Number(binomialExact(30, k)))).toEqual(pascal(30));
    expect(binomialExact(60, 30)).toBe(118264581564861424n);
    expect(binomialExact(100, 50)).toBe(100891344545564193334812497256n);
  });

  it('samples distinct subsets of k blocks, or all of them when there are few', () => {
    const some = chooseSubsets(12, 5, 4, 7);
    expect(some).toHaveLength(4);
    expect(new Set(some.map((s) => [...s].sort((a, b) => a - b).join(','))).size).toBe(4);
    for (const s of some) {
      expect(s.size).toBe(5);
      for (const b of s) expect(b >= 1 && b <= 12).toBe(true);
    }
    expect(chooseSubsets(4, 2, 10, 1)).toHaveLength(6);
  });

  it('refuses a plain net', () => {
    expect(() => resolvePathsOptions({ arch: 'plain' }, null)).toThrow(UserError);
    expect(() => resolvePathsOptions({ arch: 'plain' }, null)).toThrow(/one path/);
  });
});
