import * as tf from '../../src/engine/tf.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { resolveConfig, type TrainConfig } from '../../src/contracts/train-config.js';
import { loadDataset } from '../../src/data/index.js';
import type { Dataset } from '../../src/data/types.js';
import { Trainer } from '../../src/engine/trainer.js';

let fashion: Dataset;

beforeAll(async () => {
  fashion = await loadDataset('fashion-mnist', { trainLimit: 1024, valLimit: 128, seed: 1 });
});

function losses(config: TrainConfig, data: Dataset, steps: number): number[] {
  const t = new Trainer(config, data);
  const out: number[] = [];
  try {
    for (let i = 0; i < steps; i++) {
      const r = t.trainStep();
      expect(r.diverged).toBeUndefined();
      out.push(r.loss);
    }
  } finally {
    t.dispose();
  }
  return out;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

// Small but real: Fashion-MNIST images, the real model code, a few steps each.
const SIZES = {
  mlp: { depth: 4, width: 64, batchSize: 32, lr: 0.05 },
  // CNNs without BatchNorm start slowly; Adam gets every arch moving within a few dozen steps.
  cnn: { depth: 8, width: 8, batchSize: 32, lr: 0.003, optimizer: 'adam' },
  cnnOnCpu: { depth: 8, width: 4, batchSize: 8, lr: 0.003, optimizer: 'adam' },
} as const;

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`training on ${backend}`, () => {
    beforeAll(async () => {
      await initBackend(backend);
    });

    for (const net of ['mlp', 'cnn'] as const) {
      for (const arch of ['plain', 'residual', 'residual-bn'] as const) {
        // The pure-JS backend needs seconds per CNN step; one CNN arch there keeps CI short.
        const skip = backend === 'cpu' && net === 'cnn' && arch !== 'residual-bn';
        it.skipIf(skip)(`${net} ${arch}: loss falls on fashion-mnist`, () => {
          const slowCnn = backend === 'cpu' && net === 'cnn';
          const steps = net === 'cnn' ? (slowCnn ? 12 : 48) : 24;
          const config = resolveConfig({ net, arch, ...(slowCnn ? SIZES.cnnOnCpu : SIZES[net]), seed: 3 });
          const l = losses(config, fashion, steps);
          const quarter = Math.floor(steps / 4);
          expect(mean(l.slice(-quarter))).toBeLessThan(mean(l.slice(0, quarter)) * 0.9);
        });
      }
    }

    it('the same seed gives the same first 10 losses; another seed does not', () => {
      const base = { net: 'mlp', arch: 'residual-bn', depth: 3, width: 32, batchSize: 32 };
      const a = losses(resolveConfig({ ...base, seed: 5 }), fashion, 10);
      const b = losses(resolveConfig({ ...base, seed: 5 }), fashion, 10);
      const c = losses(resolveConfig({ ...base, seed: 6 }), fashion, 10);
      expect(b).toEqual(a);
      expect(c).not.toEqual(a);
    });

    it('tensor count is the same after step 10 and after step 60', () => {
      for (const net of backend === 'wasm' ? (['mlp', 'cnn'] as const) : (['mlp'] as const)) {
        const config = resolveConfig({ net, arch: 'residual-bn', ...SIZES[net], logEvery: 7, optimizer: 'adam', lr: 0.001 });
        const t = new Trainer(config, fashion);
        let after10 = 0;
        for (let i = 1; i <= 60; i++) {
          t.trainStep();
          if (i === 10) after10 = tf.memory().numTensors;
        }
        t.validate(64);
        expect(tf.memory().numTensors).toBe(after10);
        t.dispose();
      }
    });
  });
}

describe('instruments and divergence', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('logs one gradient norm and activation variance per unit, input side first', () => {
    const config = resolveConfig({ net: 'mlp', arch: 'residual', depth: 5, width: 32, logEvery: 2, batchSize: 32 });
    const t = new Trainer(config, fashion);
    t.trainStep();
    const r = t.trainStep();
    t.dispose();
    expect(r.line).toBeDefined();
    expect(r.line!.gradNorms).toHaveLength(7);
    expect(r.line!.activationVariances).toHaveLength(7);
    expect(r.line!.gradNorms.every((g) => g > 0 && Number.isFinite(g))).toBe(true);
    // Without normalisation each residual block adds its own variance: the stream's variance grows.
    const v = r.line!.activationVariances.slice(1, 6);
    expect(v[4]).toBeGreaterThan(v[0]! * 2);
  });

  it('a learning rate far too high diverges and names the step and a unit', () => {
    const config = resolveConfig({ net: 'mlp', arch: 'residual', depth: 6, width: 32, lr: 50, optimizer: 'sgd', batchSize: 32 });
    const t = new Trainer(config, fashion);
    let diverged;
    for (let i = 0; i < 30 && !diverged; i++) diverged = t.trainStep().diverged;
    t.dispose();
    expect(diverged).toBeDefined();
    expect(diverged!.step).toBeGreaterThan(0);
    expect(['stem', 'head', 'loss', ...Array.from({ length: 6 }, (_, i) => `block${i + 1}`)]).toContain(diverged!.where);
  });

  it('snapshot and restore continue the loss curve exactly', () => {
    const config = resolveConfig({ net: 'mlp', arch: 'residual-bn', depth: 3, width: 32, batchSize: 32, optimizer: 'adam', lr: 0.003 });
    const straight = losses(config, fashion, 12);
    const a = new Trainer(config, fashion);
    for (let i = 0; i < 5; i++) a.trainStep();
    const state = a.snapshot();
    a.dispose();
    const b = new Trainer(config, fashion);
    b.restore(state);
    const resumed: number[] = [];
    for (let i = 5; i < 12; i++) resumed.push(b.trainStep().loss);
    b.dispose();
    expect(resumed).toEqual(straight.slice(5));
  });
});
