import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend.js';
import { resolveVarianceOptions } from '../../../src/contracts/probe-options.js';
import { runVariance } from '../../../src/engine/probes/variance.js';

/**
 * The direction of lesson 6's variance claim (issue 12, Tests) on two seeds, at a small size: which
 * way the effect goes, not the lesson's numbers. (Shattering's direction, with BatchNorm, on two
 * seeds, is in shatter.test.ts.)
 */
beforeAll(async () => {
  await initBackend('wasm');
});

const SEEDS = [1, 2] as const;

describe('variance at initialisation, per block (lesson 6)', () => {
  it('the residual MLP multiplies E[h^2] per block, residual-bn adds to it, plain only drifts (two seeds)', async () => {
    for (const seed of SEEDS) {
      const r = await runVariance(
        resolveVarianceOptions({ net: 'mlp', depth: 16, width: 64, batchSize: 64, repeats: 1, seed, arch: 'plain,residual,residual-bn' }),
      );
      const ms = (arch: string) => r.series.find((s) => s.arch === arch)!.meanSquare.map((v) => v!);
      const plain = ms('plain');
      const residual = ms('residual');
      const residualBn = ms('residual-bn');
      const last = (v: number[]) => v[v.length - 1]!;
      // Residual without BatchNorm: explodes (each block adds about as much as the stream holds).
      expect(last(residual) / residual[0]!, `seed ${seed}`).toBeGreaterThan(1000);
      // Residual with BatchNorm: grows, but by orders of magnitude less.
      expect(last(residualBn), `seed ${seed}`).toBeGreaterThan(residualBn[0]!);
      expect(last(residualBn) / residualBn[0]!, `seed ${seed}`).toBeLessThan(last(residual) / residual[0]! / 100);
      // Linear, not exponential: the second half of the blocks adds about as much as the first half.
      const mid = residualBn[7]!;
      expect(last(residualBn) - mid, `seed ${seed}`).toBeLessThan(3 * (mid - residualBn[0]!));
      // Plain with He initialisation: no trend of its own, only a random drift (a product of random
      // factors near 1): it grows less than residual-bn's linear growth, and falls far less than
      // halving per block would (1/2^16).
      expect(last(plain) / plain[0]!, `seed ${seed}`).toBeLessThan(last(residualBn) / residualBn[0]!);
      expect(last(plain) / plain[0]!, `seed ${seed}`).toBeGreaterThan(1e-3);
    }
  }, 60_000);
});
