import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { resolveConfig, type TrainConfig } from '../../src/contracts/train-config.js';
import { loadDataset } from '../../src/data/index.js';
import type { Dataset } from '../../src/data/types.js';
import { runBnScale } from '../../src/engine/probes/bn-scale.js';
import { Trainer } from '../../src/engine/trainer.js';
import type { MetricsLine } from '../../src/contracts/run-folder.js';

/**
 * The direction of training-outcome claims of the lessons (issue 12, Tests), on the project's own
 * trainer, tiny sizes, two seeds each: not the lesson's numbers, only which way the effect goes.
 * The two claims that need longer training to show (degradation in He et al.'s setting, and
 * BatchNorm's noise gap) are checked by `node dist/bench/claims.js` instead: too slow for a unit test.
 */
let fashion: Dataset;

beforeAll(async () => {
  await initBackend('wasm');
  fashion = await loadDataset('fashion-mnist', { trainLimit: 1024, valLimit: 256, seed: 1 });
});

const SEEDS = [1, 2] as const;

interface Trained {
  readonly losses: number[];
  readonly lines: MetricsLine[];
  readonly diverged: boolean;
  readonly trainer?: Trainer;
}

/** Trains to the end (or to divergence); keeps the trainer only when asked (the caller disposes it). */
function train(raw: Record<string, unknown>, data: Dataset = fashion, keep = false): Trained {
  const config: TrainConfig = resolveConfig(raw, 'the test');
  const trainer = new Trainer(config, data);
  const losses: number[] = [];
  const lines: MetricsLine[] = [];
  let diverged = false;
  try {
    while (!trainer.done) {
      const r = trainer.trainStep();
      if (r.diverged) {
        diverged = true;
        break;
      }
      losses.push(r.loss);
      if (r.line) lines.push(r.line);
    }
  } finally {
    if (!keep) trainer.dispose();
  }
  return { losses, lines, diverged, ...(keep ? { trainer } : {}) };
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** The training loss at the end: the mean over the last quarter of the steps (one step is noisy). */
const endLoss = (t: Trained) => mean(t.losses.slice(-Math.max(1, Math.floor(t.losses.length / 4))));

const MLP = { net: 'mlp', dataset: 'fashion-mnist', width: 32, batchSize: 32, optimizer: 'momentum' } as const;

describe('BatchNorm and the learning rate (lesson 7)', () => {
  it('at lr 0.3 the residual MLP without BatchNorm diverges or stays near chance, and with BatchNorm it trains (two seeds)', () => {
    for (const seed of SEEDS) {
      const cfg = { ...MLP, depth: 4, lr: 0.3, steps: 40, seed };
      const without = train({ ...cfg, arch: 'residual' });
      const withBn = train({ ...cfg, arch: 'residual-bn' });
      expect(without.diverged || endLoss(without) > 2, `seed ${seed}`).toBe(true);
      expect(withBn.diverged, `seed ${seed}`).toBe(false);
      expect(endLoss(withBn), `seed ${seed}`).toBeLessThan(0.8 * mean(withBn.losses.slice(0, 5)));
      expect(endLoss(withBn), `seed ${seed}`).toBeLessThan(Math.log(10));
    }
  }, 60_000);
});

describe('gradients at initialisation, per block (lesson 6)', () => {
  it('the residual MLP without BatchNorm has larger gradients than the plain one in every block; residual-bn does not (two seeds)', () => {
    for (const seed of SEEDS) {
      const cfg = { ...MLP, depth: 16, width: 64, lr: 0.01, steps: 1, logEvery: 1, seed };
      const norms = (arch: string) => train({ ...cfg, arch }).lines[0]!.gradNorms.slice(1, -1);
      const plain = norms('plain');
      const residual = norms('residual');
      const residualBn = norms('residual-bn');
      expect(residual).toHaveLength(16);
      for (let k = 0; k < 16; k++) expect(residual[k]!, `seed ${seed}, block ${k + 1}`).toBeGreaterThan(10 * plain[k]!);
      // With BatchNorm the same shortcuts no longer blow the gradient up: far below the residual net's.
      for (let k = 0; k < 16; k++) expect(residualBn[k]!, `seed ${seed}, block ${k + 1}`).toBeLessThan(0.1 * residual[k]!);
    }
  }, 60_000);
});

describe('what BatchNorm learns (lesson 7, bn-scale)', () => {
  it("training turns every block's branch down: each last-BatchNorm scale ends below its initial 1 (two seeds)", () => {
    for (const seed of SEEDS) {
      const t = train({ ...MLP, arch: 'residual-bn', depth: 6, lr: 0.05, steps: 60, seed }, fashion, true);
      try {
        expect(t.diverged).toBe(false);
        const state = t.trainer!.snapshot();
        const r = runBnScale({ runId: 'test', config: t.trainer!.config, step: state.step, tensors: state.tensors });
        expect(r.blocks).toHaveLength(6);
        for (const b of r.blocks) expect(b.lastGamma!, `seed ${seed}, block ${b.block}`).toBeLessThan(1);
      } finally {
        t.trainer!.dispose();
      }
    }
  }, 60_000);
});
