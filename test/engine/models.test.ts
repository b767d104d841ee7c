import * as tf from '../../src/engine/tf.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { resolveConfig } from '../../src/contracts/train-config.js';
import { buildModel } from '../../src/engine/models/model.js';
import { learningRate } from '../../src/engine/optim.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const paramCount = (m: ReturnType<typeof buildModel>) => m.params.reduce((n, p) => n + p.variable.size, 0);

describe('models', () => {
  it('ResNet-20 in the CIFAR layout has about 0.27M parameters, 9 blocks, and its plain twin the same shapes minus shortcuts', () => {
    const res = buildModel(resolveConfig({ net: 'cnn', arch: 'residual-bn', depth: 20 }), [32, 32, 3], 10, 1);
    const plain = buildModel(resolveConfig({ net: 'cnn', arch: 'plain', depth: 20 }), [32, 32, 3], 10, 1);
    expect(res.blockCount).toBe(9);
    expect(res.unitNames).toEqual(['stem', ...Array.from({ length: 9 }, (_, i) => `block${i + 1}`), 'head']);
    // He et al.: 0.27M. Projection shortcuts (1x1 conv + BN at the two stage changes) add ~3k.
    expect(paramCount(res)).toBeGreaterThan(270_000);
    expect(paramCount(res)).toBeLessThan(276_000);
    expect(plain.blockCount).toBe(9);
    const out = tf.tidy(() => res.forward(tf.zeros([2, 32, 32, 3]), { training: false }).output.shape);
    expect(out).toEqual([2, 10]);
    res.dispose();
    plain.dispose();
  });

  it('bottleneck blocks (9n+2) expand channels four times', () => {
    const m = buildModel(resolveConfig({ net: 'cnn', arch: 'residual-bn', depth: 29, block: 'bottleneck', width: 8 }), [16, 16, 3], 10, 1);
    expect(m.blockCount).toBe(9);
    const conv3 = m.params.find((p) => p.name === 'block9/conv3/w')!;
    expect(conv3.variable.shape).toEqual([1, 1, 32, 128]); // stage 3: mid 8*4 = 32, out 4*32 = 128
    const shapes = tf.tidy(() => m.forward(tf.zeros([2, 16, 16, 3]), { training: true, collect: true }).units.map((u) => u.shape));
    expect(shapes.at(-2)).toEqual([2, 4, 4, 128]);
    m.dispose();
  });

  for (const blockOrder of ['post', 'branch', 'preact'] as const) {
    it(`block order ${blockOrder}: builds, runs forward in training and evaluation, and leaks nothing`, () => {
      const before = tf.memory().numTensors;
      for (const net of ['mlp', 'cnn'] as const) {
        const c = resolveConfig({ net, arch: 'residual-bn', depth: net === 'cnn' ? 8 : 3, width: 8, blockOrder });
        const m = buildModel(c, [8, 8, 1], 4, 3);
        tf.tidy(() => {
          const r = m.forward(tf.randomNormal([4, 8, 8, 1], 0, 1, 'float32', 1), { training: true, collect: true });
          r.statUpdates.forEach((u) => u.value.dispose());
          expect(r.units).toHaveLength(m.unitNames.length);
          expect(m.forward(tf.zeros([4, 8, 8, 1]), { training: false }).output.shape).toEqual([4, 4]);
        });
        m.dispose();
      }
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('the same seed gives the same weights; layers of the same shape get different ones', () => {
    const c = resolveConfig({ net: 'mlp', arch: 'residual', depth: 3, width: 16 });
    const a = buildModel(c, [4], 2, 9);
    const b = buildModel(c, [4], 2, 9);
    const w = (m: typeof a, name: string) => Array.from(m.params.find((p) => p.name === name)!.variable.dataSync());
    expect(w(a, 'block1/lin1/w')).toEqual(w(b, 'block1/lin1/w'));
    expect(w(a, 'block1/lin1/w')).not.toEqual(w(a, 'block2/lin1/w'));
    a.dispose();
    b.dispose();
  });
});

describe('learning-rate schedules', () => {
  it('constant, step (x0.1 at 50% and 75%) and cosine', () => {
    expect(learningRate('constant', 0.1, 90, 100)).toBe(0.1);
    expect(learningRate('step', 0.1, 49, 100)).toBe(0.1);
    expect(learningRate('step', 0.1, 50, 100)).toBeCloseTo(0.01);
    expect(learningRate('step', 0.1, 80, 100)).toBeCloseTo(0.001);
    expect(learningRate('cosine', 0.1, 0, 100)).toBeCloseTo(0.1);
    expect(learningRate('cosine', 0.1, 50, 100)).toBeCloseTo(0.05);
    expect(learningRate('cosine', 0.1, 100, 100)).toBeCloseTo(0);
  });
});

describe('plain-bn (He et al. 2015 plain baseline: residual-bn without its shortcuts)', () => {
  for (const net of ['mlp', 'cnn'] as const) {
    it(`${net}: the same BatchNorm layers as residual-bn, no shortcut parameters, and trains without leaks`, async () => {
      const { Trainer } = await import('../../src/engine/trainer.js');
      const { loadDataset } = await import('../../src/data/index.js');
      const sizes = net === 'cnn' ? { depth: 8, width: 4 } : { depth: 3, width: 16 };
      const plain = buildModel(resolveConfig({ net, arch: 'plain-bn', ...sizes }), [8, 8, 1], 2, 1);
      const res = buildModel(resolveConfig({ net, arch: 'residual-bn', ...sizes }), [8, 8, 1], 2, 1);
      const bnNames = (m: typeof plain) => m.params.filter((p) => p.name.includes('/bn')).map((p) => p.name);
      expect(bnNames(plain).length).toBeGreaterThan(0);
      // residual-bn has BN in its projection shortcuts too; every other BN is the same.
      expect(bnNames(plain)).toEqual(bnNames(res).filter((n) => !n.includes('/proj')));
      expect(plain.params.some((p) => p.name.includes('/proj'))).toBe(false);
      if (net === 'cnn') expect(res.params.some((p) => p.name.includes('/proj'))).toBe(true);
      plain.dispose();
      res.dispose();
      const data = await loadDataset('synthetic-shapes', { trainLimit: 64, valLimit: 16, seed: 1 });
      const t = new Trainer(resolveConfig({ net, arch: 'plain-bn', ...sizes, batchSize: 16, lr: 0.05, logEvery: 1 }), data);
      try {
        t.trainStep();
        const before = tf.memory().numTensors;
        for (let i = 0; i < 3; i++) expect(t.trainStep().diverged).toBeUndefined();
        expect(tf.memory().numTensors).toBe(before);
      } finally {
        t.dispose();
      }
    });
  }

  it('the lesion probe treats it as plain (downsampling blocks cannot be skipped); the paths probe refuses it', async () => {
    const { shapeChangingBlocks } = await import('../../src/engine/probes/lesion.js');
    const { hasShortcuts } = await import('../../src/contracts/train-config.js');
    const { resolvePathsOptions } = await import('../../src/contracts/probe-options.js');
    expect(hasShortcuts('plain-bn')).toBe(false);
    expect([...shapeChangingBlocks({ net: 'cnn', depth: 20, block: 'basic' })]).toEqual([4, 7]);
    expect(() => resolvePathsOptions({ arch: 'plain-bn' }, null)).toThrow(/one path/);
  });
});
