import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';
import { resolveConfig, type TrainConfig } from '../../src/contracts/train-config.js';
import { loadDataset } from '../../src/data/index.js';
import type { Dataset } from '../../src/data/types.js';
import { denseNetChannels } from '../../src/engine/models/densenet.js';
import { buildModel } from '../../src/engine/models/model.js';
import { Trainer } from '../../src/engine/trainer.js';
import { readRunInfo } from '../../src/runs/run-dir.js';
import { mergeRunPredictions, renderPanel, renderSegmentationGrids, SHADES_ASCII } from '../../src/ui/tutor/segmentation-grid.js';
import { EngineHost } from '../../src/worker/engine-host.js';
import { ensureBuilt, runCli, tempDir } from '../helpers/cli.js';

let fashion: Dataset;
let segment: Dataset;

beforeAll(async () => {
  await initBackend('wasm');
  fashion = await loadDataset('fashion-mnist', { trainLimit: 256, valLimit: 64, seed: 1 });
  segment = await loadDataset('synthetic-segment', { trainLimit: 512, valLimit: 64, seed: 1 });
});

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Trains `steps` steps and returns the losses; checks that no tensor is left behind per step. */
function train(config: TrainConfig, data: Dataset, steps: number): number[] {
  const t = new Trainer(config, data);
  const losses: number[] = [];
  try {
    let tensors = -1;
    for (let i = 0; i < steps; i++) {
      const r = t.trainStep();
      expect(r.diverged).toBeUndefined();
      losses.push(r.loss);
      // Logging steps keep nothing either: compare the counts after the first step.
      if (i === 1) tensors = tf.memory().numTensors;
      if (i > 1) expect(tf.memory().numTensors).toBe(tensors);
    }
  } finally {
    t.dispose();
  }
  return losses;
}

describe('DenseNet (--net cnn --arch densenet)', () => {
  it('concatenates growth-rate channels, halves them in transitions, and names its units', () => {
    const config = resolveConfig({ net: 'cnn', arch: 'densenet', depth: 10, width: 4 });
    const model = buildModel(config, [28, 28, 1], 10, 1);
    try {
      expect(model.unitNames).toEqual(['stem', 'block1', 'block2', 'block3', 'head']);
      const shape = (name: string) => model.params.find((p) => p.name === name)?.variable.shape;
      // Stem to 2k = 8 channels; each dense layer sees k0 + k(l-1) channels and adds k = 4.
      expect(shape('stem/w')).toEqual([3, 3, 1, 8]);
      expect(shape('block1/layer1/conv/w')).toEqual([3, 3, 8, 4]);
      expect(shape('block1/layer2/conv/w')).toEqual([3, 3, 12, 4]);
      // 8 + 2*4 = 16 channels halved to 8 by the transition's 1x1 convolution.
      expect(shape('block1/transition/conv/w')).toEqual([1, 1, 16, 8]);
      expect(denseNetChannels(4, 10)).toEqual({ stem: 8, blocks: [8, 8, 16] });
      const x = tf.randomNormal([2, 28, 28, 1]);
      const r = model.forward(x, { training: false, collect: true });
      expect(r.output.shape).toEqual([2, 10]);
      expect(r.units.map((u) => u.shape)).toEqual([
        [2, 28, 28, 8],
        [2, 14, 14, 8],
        [2, 7, 7, 8],
        [2, 7, 7, 16],
        [2, 10],
      ]);
      tf.dispose([x, r.output, ...r.units]);
    } finally {
      model.dispose();
    }
  });

  it('trains on fashion-mnist: loss falls, no tensor leaks', () => {
    const config = resolveConfig({
      net: 'cnn',
      arch: 'densenet',
      depth: 7,
      width: 6,
      batchSize: 16,
      lr: 0.01,
      optimizer: 'adam',
      seed: 2,
      logEvery: 5,
    });
    const losses = train(config, fashion, 40);
    expect(mean(losses.slice(-10))).toBeLessThan(mean(losses.slice(0, 10)) * 0.85);
  }, 60_000);

  it('checks --depth 3n+4 and refuses an MLP', () => {
    expect(() => resolveConfig({ net: 'cnn', arch: 'densenet', depth: 20 })).toThrow(/3n\+4/);
    expect(() => resolveConfig({ net: 'mlp', arch: 'densenet' })).toThrow(/--net cnn only/);
    const c = resolveConfig({ net: 'cnn', arch: 'densenet' });
    expect([c.depth, c.width]).toEqual([16, 12]);
  });
});

describe('U-Net (--net unet) on synthetic-segment', () => {
  const unet = (arch: string, extra: Record<string, unknown> = {}) =>
    resolveConfig({
      net: 'unet',
      arch,
      dataset: 'synthetic-segment',
      width: 4,
      batchSize: 16,
      lr: 0.01,
      optimizer: 'adam',
      seed: 1,
      logEvery: 5,
      ...extra,
    });

  it('predicts one logit per pixel', () => {
    const model = buildModel(unet('residual-bn'), [16, 16, 1], 1, 1);
    try {
      expect(model.unitNames).toEqual(['down1', 'down2', 'bottleneck', 'up2', 'up1', 'head']);
      const x = tf.randomNormal([3, 16, 16, 1]);
      const out = model.forward(x, { training: false }).output;
      expect(out.shape).toEqual([3, 16, 16, 1]);
      tf.dispose([x, out]);
    } finally {
      model.dispose();
    }
  });

  it('the data set has a 0/1 mask per pixel', () => {
    expect(segment.task).toBe('segmentation');
    expect(segment.train.y.length).toBe(512 * 256);
    expect(new Set(segment.train.y)).toEqual(new Set([0, 1]));
  });

  it('learns the masks with and without skips; with skips the loss ends lower', () => {
    const withSkips = train(unet('residual-bn'), segment, 30);
    const without = train(unet('plain'), segment, 30);
    for (const l of [withSkips, without]) expect(mean(l.slice(-5))).toBeLessThan(mean(l.slice(0, 5)) * 0.8);
    expect(mean(withSkips.slice(-5))).toBeLessThan(mean(without.slice(-5)));
  }, 60_000);

  it('reports pixel accuracy and validates', () => {
    const t = new Trainer(unet('residual-bn'), segment);
    try {
      let line;
      for (let i = 0; i < 5; i++) line = t.trainStep().line ?? line;
      expect(line?.accuracy).toBeGreaterThan(0);
      expect(line?.accuracy).toBeLessThanOrEqual(1);
      // Validation is pixel accuracy and per-pixel cross-entropy: recomputed here from the model's own
      // per-pixel probabilities over the whole validation split, they agree.
      const v = t.validate();
      const pixels = segment.val.n * 256;
      const p = t.predict(segment.val.x);
      expect(p.length).toBe(pixels);
      let hits = 0;
      let loss = 0;
      for (let i = 0; i < pixels; i++) {
        const y = segment.val.y[i]!;
        hits += Number(p[i]! > 0.5 === y > 0.5);
        loss -= y * Math.log(p[i]!) + (1 - y) * Math.log(1 - p[i]!);
      }
      expect(v.valAccuracy).toBeCloseTo(hits / pixels, 5);
      expect(v.valLoss).toBeCloseTo(loss / pixels, 3);
      expect(Math.min(...p)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...p)).toBeLessThanOrEqual(1);
    } finally {
      t.dispose();
    }
  });
});

describe('flag checks (CLI, exit 1)', () => {
  beforeAll(() => ensureBuilt());
  const cases: [string, string[], RegExp][] = [
    ['densenet with an MLP', ['--net', 'mlp', '--arch', 'densenet'], /densenet applies to --net cnn only/],
    ['unet with fashion-mnist', ['--net', 'unet', '--dataset', 'fashion-mnist'], /needs a segmentation data set/],
    ['segmentation data with a CNN', ['--net', 'cnn', '--dataset', 'synthetic-segment'], /only --net unet predicts masks/],
  ];
  for (const [what, flags, message] of cases) {
    it(`refuses ${what}`, () => {
      const root = tempDir();
      const r = runCli(['train', ...flags, '--steps', '1', '--run-dir', root]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }
});

describe('predictions from a trained run (EngineHost.predict)', () => {
  let host: EngineHost | null = null;
  afterAll(async () => {
    await host?.close();
  });

  it('returns input, target and prediction for the first validation images', async () => {
    const root = tempDir();
    const flags = ['--net', 'unet', '--dataset', 'synthetic-segment', '--width', '4', '--train-limit', '64', '--val-limit', '16'];
    const r = runCli(['train', ...flags, '--steps', '4', '--batch-size', '16', '--backend', 'wasm', '--run-dir', root]);
    expect(r.code, r.stderr).toBe(0);
    const [id] = readdirSync(root).filter((d) => !d.startsWith('.'));
    const path = join(root, id!);
    const info = readRunInfo(path);
    host = new EngineHost();
    const p = await host.predict(path, info.config, 2, 'wasm');
    expect(p.step).toBe(4);
    expect(p.shape).toEqual([16, 16]);
    expect(p.examples).toHaveLength(2);
    for (const ex of p.examples) {
      expect(ex.input).toHaveLength(256);
      expect(ex.target).toHaveLength(256);
      expect(ex.prediction).toHaveLength(256);
      expect(ex.prediction.every((v) => v >= 0 && v <= 1)).toBe(true);
    }
    await expect(host.predict(tempDir(), info.config, 2, 'wasm')).rejects.toThrow(/no checkpoint/);
  }, 60_000);
});

describe('segmentation grids', () => {
  it('draws a panel by intensity', () => {
    expect(renderPanel([0, 0.5, 1, 0.25], 2, 2, SHADES_ASCII, [0, 1])).toEqual([' :', '@.']);
    // Its own range when none is given; a flat panel is blank.
    expect(renderPanel([2, 4], 1, 2, SHADES_ASCII)).toEqual([' @']);
    expect(renderPanel([3, 3], 1, 2, SHADES_ASCII)).toEqual(['  ']);
  });

  it('puts input, target and prediction side by side', () => {
    const ex = { input: [0, 1, 1, 0], target: [0, 1, 1, 0], prediction: [0.1, 0.9, 0.6, 0.2] };
    const { shape, examples } = mergeRunPredictions([{ label: 'only', shape: [2, 2], examples: [ex] }]);
    const lines = renderSegmentationGrids(examples, shape, { ascii: true });
    // Labels are cut to the panel's width (16 for the real images).
    expect(lines).toEqual(['in | ta | pr', ' @ |  @ |  @', '@  | @  | :.']);
    const unicode = renderSegmentationGrids(examples, shape);
    expect(unicode[1]).toBe(' █ |  █ |  █');
  });

  it('labels each run when several are compared', () => {
    const ex = { input: [0], target: [1], prediction: [1] };
    const { examples } = mergeRunPredictions([
      { label: 'plain', shape: [1, 1], examples: [ex] },
      { label: 'skips', shape: [1, 1], examples: [{ ...ex, prediction: [0] }] },
    ]);
    const lines = renderSegmentationGrids(examples, [1, 1], { ascii: true, gap: ' ' });
    expect(lines[1]).toBe('  @ @  ');
    expect(lines[0]).toBe('i t p s');
  });
});
