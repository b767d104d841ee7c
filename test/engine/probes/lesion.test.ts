import * as tf from '../../../src/engine/tf.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend.js';
import { resolveConfig, type TrainConfig } from '../../../src/contracts/train-config.js';
import { loadDataset } from '../../../src/data/index.js';
import type { Dataset } from '../../../src/data/types.js';
import { runLesion } from '../../../src/engine/probes/lesion.js';
import type { LesionResult } from '../../../src/contracts/probe-results.js';
import { Trainer } from '../../../src/engine/trainer.js';

let fashion: Dataset;

beforeAll(async () => {
  await initBackend('wasm');
  fashion = await loadDataset('fashion-mnist', { trainLimit: 4096, valLimit: 1000, seed: 1 });
});

/** Trains a small MLP on Fashion-MNIST and runs the lesion probe on its weights. */
async function trainAndLesion(arch: 'plain' | 'residual'): Promise<LesionResult> {
  const config: TrainConfig = resolveConfig({
    net: 'mlp',
    arch,
    depth: 6,
    width: 64,
    steps: 300,
    batchSize: 64,
    lr: 0.02,
    seed: 2,
    trainLimit: 4096,
    valLimit: 1000,
  });
  const trainer = new Trainer(config, fashion);
  let tensors;
  try {
    while (!trainer.done) expect(trainer.trainStep().diverged).toBeUndefined();
    tensors = trainer.snapshot().tensors;
  } finally {
    trainer.dispose();
  }
  const before = tf.memory().numTensors;
  const result = await runLesion({ net: { runId: `test-${arch}`, config, step: 300, tensors }, limit: null });
  expect(tf.memory().numTensors).toBe(before);
  return result;
}

describe('lesion probe', () => {
  it('removing a residual block costs less accuracy than removing a plain block', async () => {
    const residual = await trainAndLesion('residual');
    const plain = await trainAndLesion('plain');
    for (const r of [residual, plain]) {
      expect(r.rows).toHaveLength(6);
      expect(r.rows.map((row) => row.block)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(r.examples).toBe(1000);
      expect(r.baseline.accuracy!).toBeGreaterThan(0.6);
      expect(r.rows.every((row) => row.removable && row.accuracy !== null)).toBe(true);
      // The summary fields follow from the rows.
      const drops = r.rows.map((row) => row.accuracyDrop!);
      expect(r.firstBlockDrop).toBe(drops[0]);
      expect(r.removableBlocks).toBe(6);
      const p = r.baseline.accuracy!;
      expect(r.noticeableDrop!).toBeCloseTo(2 * Math.sqrt((p * (1 - p)) / 1000), 12);
      expect(r.blocksThatMatter).toBe(drops.filter((d) => d > r.noticeableDrop!).length);
      const sorted = [...drops].sort((a, b) => a - b);
      expect(r.medianAccuracyDrop!).toBeCloseTo((sorted[2]! + sorted[3]!) / 2, 12);
    }
    expect(plain.blocksThatMatter!).toBeGreaterThanOrEqual(residual.blocksThatMatter!);
    expect(residual.meanAccuracyDrop!).toBeLessThan(plain.meanAccuracyDrop!);
  });
});

describe('which blocks a plain net cannot skip', () => {
  it('matches model.ts: a CNN stage change cannot be skipped, every other block can', async () => {
    const { shapeChangingBlocks } = await import('../../../src/engine/probes/lesion.js');
    const { buildModel } = await import('../../../src/engine/models/model.js');
    expect([...shapeChangingBlocks(resolveConfig({ net: 'cnn', depth: 20 }))]).toEqual([4, 7]);
    expect([...shapeChangingBlocks(resolveConfig({ net: 'cnn', depth: 29, block: 'bottleneck' }))].sort()).toEqual([1, 4, 7]);
    expect(shapeChangingBlocks(resolveConfig({ net: 'mlp', depth: 6 })).size).toBe(0);
    const model = buildModel(resolveConfig({ net: 'cnn', arch: 'plain', depth: 8, width: 2 }), [8, 8, 1], 3, 1);
    try {
      const x = tf.randomNormal([2, 8, 8, 1], 0, 1, 'float32', 5);
      const diff = (off: number) =>
        tf.tidy(() => {
          const full = model.forward(x, { training: false }).output;
          const without = model.forward(x, { training: false, disabledBlocks: new Set([off]) }).output;
          return tf.max(tf.abs(tf.sub(full, without))).dataSync()[0]!;
        });
      const fixed = shapeChangingBlocks(model.config);
      for (let k = 1; k <= model.blockCount; k++) expect(diff(k) === 0).toBe(fixed.has(k));
      x.dispose();
    } finally {
      model.dispose();
    }
  });
});
