import * as tf from '../../../src/engine/tf.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend.js';
import { resolveConfig } from '../../../src/contracts/train-config.js';
import { loadDataset } from '../../../src/data/index.js';
import { runBnScale } from '../../../src/engine/probes/bn-scale.js';
import { resolveBnScaleOptions } from '../../../src/contracts/probe-options.js';
import { Trainer } from '../../../src/engine/trainer.js';
import { UserError } from '../../../src/util/errors.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('bn-scale probe', () => {
  it("reads each block's learned BatchNorm scales from a tiny trained residual-bn run", async () => {
    const data = await loadDataset('synthetic-spiral', { trainLimit: 256, valLimit: 32, seed: 1 });
    const config = resolveConfig({ net: 'mlp', arch: 'residual-bn', depth: 4, width: 16, batchSize: 32, lr: 0.1, steps: 20, seed: 2 });
    const trainer = new Trainer(config, data);
    try {
      while (!trainer.done) expect(trainer.trainStep().diverged).toBeUndefined();
      const state = trainer.snapshot();
      const r = runBnScale({ runId: 'test', config, step: state.step, tensors: state.tensors });
      expect(r.blocks.map((b) => b.block)).toEqual([1, 2, 3, 4]);
      for (const b of r.blocks) {
        expect(b.lastLayer).toBe('bn2');
        expect(b.layers.map((l) => l.layer)).toEqual(['bn1', 'bn2']);
        // Independently: the model's own variable, mean |gamma|.
        const g = trainer.model.params.find((p) => p.name === `block${b.block}/bn2/gamma`)!.variable;
        const want = tf.tidy(() => tf.mean(tf.abs(g)).dataSync()[0]!);
        expect(b.lastGamma!).toBeCloseTo(want, 5);
        expect(b.layers[1]!.channels).toBe(16);
      }
      // Training moved the scales away from their initial 1.
      expect(r.blocks.some((b) => Math.abs(b.lastGamma! - 1) > 1e-4)).toBe(true);
      expect(r.meanLastGamma!).toBeCloseTo(r.blocks.reduce((s, b) => s + b.lastGamma!, 0) / 4, 10);
    } finally {
      trainer.dispose();
    }
  });

  it('a bottleneck CNN reports bn3 as the last BatchNorm and the projection separately', () => {
    const config = resolveConfig({ net: 'cnn', arch: 'residual-bn', depth: 11, block: 'bottleneck', width: 4 });
    const ones = (n: number) => ({ shape: [n], values: new Float32Array(n).fill(2) });
    const tensors = {
      'param/block1/bn1/gamma': ones(4),
      'param/block1/bn2/gamma': ones(4),
      'param/block1/bn3/gamma': { shape: [16], values: new Float32Array(16).fill(-0.5) },
      'param/block1/proj/bn/gamma': ones(16),
    };
    const r = runBnScale({ runId: 't', config, step: 1, tensors });
    expect(r.blocks[0]!.lastLayer).toBe('bn3');
    expect(r.blocks[0]!.lastGamma).toBe(0.5);
    expect(r.blocks[0]!.layers.map((l) => l.layer)).toEqual(['bn1', 'bn2', 'bn3', 'proj/bn']);
  });

  it('refuses runs without BatchNorm, and model options', () => {
    const run = (arch: string) => ({ id: 'r1', path: '/nowhere', config: resolveConfig({ arch }) });
    expect(() => resolveBnScaleOptions({}, run('residual'))).toThrow(UserError);
    expect(() => resolveBnScaleOptions({}, run('plain'))).toThrow(/without BatchNorm/);
    expect(() => resolveBnScaleOptions({ depth: 4 }, run('residual-bn'))).toThrow(/does not apply/);
    expect(resolveBnScaleOptions({}, run('plain-bn')).run.id).toBe('r1');
  });
});
