import * as tf from '../../src/engine/tf.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { architectureDiff, architectureOf, resolveConfig } from '../../src/contracts/train-config.js';
import { cropFlip, holdOut } from '../../src/data/augment.js';
import { loadDataset } from '../../src/data/index.js';
import { buildModel } from '../../src/engine/models/model.js';
import { Rng } from '../../src/util/rng.js';
import { Trainer } from '../../src/engine/trainer.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const paramCount = (m: ReturnType<typeof buildModel>) => m.params.reduce((n, p) => n + p.variable.size, 0);

describe('--recipe he2015-cifar (He et al. 2015, ResNet-20 on CIFAR-10)', () => {
  it("sets the paper's fields; explicit fields override them", () => {
    const c = resolveConfig({ recipe: 'he2015-cifar' });
    expect(c).toMatchObject({
      net: 'cnn',
      arch: 'residual-bn',
      depth: 20,
      shortcut: 'zero-pad',
      augment: 'crop-flip',
      dataset: 'cifar10',
      holdout: 5000,
      batchSize: 128,
      lr: 0.1,
      momentum: 0.9,
      weightDecay: 1e-4,
      schedule: 'step',
      steps: 64000,
    });
    expect(resolveConfig({ recipe: 'he2015-cifar', steps: 8, dataset: 'synthetic-shapes' })).toMatchObject({
      steps: 8,
      dataset: 'synthetic-shapes',
      lr: 0.1,
    });
    expect(() => resolveConfig({ recipe: 'he2099' })).toThrow(/--recipe must be one of he2015-cifar/);
  });

  it("option A shortcuts have no parameters: ResNet-20 has exactly the paper's 0.27M (269,722) weights", () => {
    const m = buildModel(resolveConfig({ recipe: 'he2015-cifar' }), [32, 32, 3], 10, 1);
    // Counted by hand: 3x3 convolutions without bias, 2 BN parameters per channel, a 64x10 classifier with bias.
    const conv = (i: number, o: number) => 9 * i * o;
    const stages = [16, 32, 64];
    let want = conv(3, 16) + 2 * 16;
    let cin = 16;
    for (const c of stages) {
      for (let b = 0; b < 3; b++) {
        want += conv(cin, c) + conv(c, c) + 2 * 2 * c;
        cin = c;
      }
    }
    want += 64 * 10 + 10;
    expect(want).toBe(269_722);
    expect(paramCount(m)).toBe(want);
    expect(m.params.some((p) => p.name.includes('/proj'))).toBe(false);
    const shape = tf.tidy(() => m.forward(tf.ones([2, 32, 32, 3]), { training: false }).output.shape);
    expect(shape).toEqual([2, 10]);
    m.dispose();
  });

  it('the zero-pad shortcut takes every second pixel and zero channels, and has a gradient', async () => {
    const { zeroPadShortcut } = await import('../../src/engine/models/model.js');
    const sc = zeroPadShortcut(2, 2, 4);
    const x = tf.tensor(
      Float32Array.from({ length: 4 * 4 * 2 }, (_, i) => i),
      [1, 4, 4, 2],
    );
    const y = sc(x, { training: false, statUpdates: [] });
    expect(y.shape).toEqual([1, 2, 2, 4]);
    // Pixel (1, 1) of the output is input pixel (2, 2): values 20, 21, between one zero channel each side.
    expect(Array.from(y.dataSync().slice(12, 16))).toEqual([0, 20, 21, 0]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(sc(t, { training: false, statUpdates: [] })))(x);
    expect(Array.from(g.dataSync()).reduce((a, b) => a + b, 0)).toBe(8);
    tf.dispose([x, y, g]);
  });

  it('crop-flip changes the batch, is the same for the same seed, and differs for another', () => {
    const rng = new Rng(1);
    const base = rng.normalArray(4 * 8 * 8 * 3, 1);
    const a = base.slice();
    const b = base.slice();
    const c = base.slice();
    cropFlip(a, 4, [8, 8, 3], new Rng(7));
    cropFlip(b, 4, [8, 8, 3], new Rng(7));
    cropFlip(c, 4, [8, 8, 3], new Rng(8));
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(base));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    // A flip with no shift mirrors each row exactly.
    const one = Float32Array.from({ length: 4 }, (_, i) => i); // 1 image, 1x4x1
    let flipped: number[] = [];
    for (let seed = 0; seed < 5000 && flipped.length === 0; seed++) {
      const t = one.slice();
      const r = new Rng(seed);
      const dy = r.int(9) - 4;
      const dx = r.int(9) - 4;
      const flip = r.next() < 0.5;
      if (dy === 0 && dx === 0 && flip) {
        cropFlip(t, 1, [1, 4, 1], new Rng(seed));
        flipped = Array.from(t);
      }
    }
    expect(flipped).toEqual([3, 2, 1, 0]);
  });

  it('holds out training examples as validation (45k/5k in the paper)', () => {
    const x = Float32Array.from({ length: 10 * 2 }, (_, i) => i);
    const y = Uint8Array.from({ length: 10 }, (_, i) => i);
    const d = holdOut({ train: { x, y, n: 10 }, val: { x: new Float32Array(0), y: new Uint8Array(0), n: 0 } }, 3, 2, 1, null);
    expect(d.train.n).toBe(7);
    expect(d.val.n).toBe(3);
    expect(Array.from(d.val.y)).toEqual([7, 8, 9]);
    expect(Array.from(d.val.x)).toEqual([14, 15, 16, 17, 18, 19]);
  });

  it('trains a few steps on CIFAR-shaped synthetic data: lr drops x10 at 50% and 75%, no leaks, resume is bit-identical', async () => {
    const shapes = await loadDataset('synthetic-shapes', { trainLimit: 96, valLimit: 8, seed: 1 });
    const data = shapes;
    const config = resolveConfig({
      recipe: 'he2015-cifar',
      dataset: 'synthetic-shapes',
      depth: 8,
      width: 4,
      steps: 8,
      batchSize: 8,
      holdout: 32,
      logEvery: 1,
    });
    const t = new Trainer(config, data);
    expect(t.data.train.n).toBe(64);
    expect(t.data.val.n).toBe(32);
    const lrs: number[] = [];
    let snap: ReturnType<Trainer['snapshot']> | null = null;
    const losses: number[] = [];
    try {
      t.trainStep();
      const before = tf.memory().numTensors;
      lrs.push(0.1);
      while (!t.done) {
        lrs.push(t.lr);
        if (t.step === 4) snap = t.snapshot();
        const r = t.trainStep();
        expect(r.diverged).toBeUndefined();
        if (t.step > 4) losses.push(r.loss);
      }
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      t.dispose();
    }
    // Steps 0-3 at 0.1, 4-5 at 0.01, 6-7 at 0.001: He's 32k and 48k of 64k, scaled to 8 steps.
    expect(lrs.map((v) => Number(v.toPrecision(3)))).toEqual([0.1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.001, 0.001]);
    const resumed = new Trainer(config, data);
    try {
      resumed.restore(snap!);
      const again: number[] = [];
      while (!resumed.done) again.push(resumed.trainStep().loss);
      expect(again).toEqual(losses);
    } finally {
      resumed.dispose();
    }
  });

  it('runs written before the shortcut field load as projection runs', () => {
    const old = { net: 'cnn', arch: 'residual-bn', depth: 20, width: 16, block: 'basic', blockOrder: 'post' } as const;
    expect(architectureDiff(old, architectureOf(resolveConfig({ net: 'cnn' })))).toEqual([]);
    expect(architectureDiff(old, architectureOf(resolveConfig({ recipe: 'he2015-cifar' })))).toEqual(['shortcut projection vs zero-pad']);
  });
});
