import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { resolveConfig } from '../../src/contracts/train-config.js';
import { estimateTrainingMemory } from '../../src/contracts/memory-estimate.js';
import { buildModel } from '../../src/engine/models/model.js';
import { runCli, tempDir } from '../helpers/cli.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('the memory estimate', () => {
  // A lower bound: it must never count more weights than the real model has, or it would refuse
  // models that fit; and it must count most of them, or it would let through models that do not.
  for (const raw of [
    { net: 'mlp', depth: 6, width: 32 },
    { net: 'mlp', depth: 2, width: 200 },
    { net: 'cnn', depth: 8, width: 8 },
    { net: 'cnn', depth: 20, width: 16 },
    { net: 'cnn', depth: 29, width: 16, block: 'bottleneck' },
  ]) {
    it(`counts no more weights than ${JSON.stringify(raw)} has, and at least 80% of them`, () => {
      const config = resolveConfig(raw);
      const shape = raw.net === 'cnn' ? [32, 32, 3] : [28, 28, 1];
      const model = buildModel(config, shape, 10, 1);
      const real = model.params.reduce((n, p) => n + p.variable.size, 0);
      for (const p of model.params) p.variable.dispose();
      const { parameters, bytes } = estimateTrainingMemory(config, { inputShape: shape });
      expect(parameters).toBeLessThanOrEqual(real);
      expect(parameters).toBeGreaterThan(0.8 * real);
      // Weights, gradients and momentum's slot at 4 bytes each, at the least.
      expect(bytes).toBeGreaterThanOrEqual(12 * parameters);
    });
  }

  it('adam holds two slots per weight, sgd none', () => {
    const at = (optimizer: string) => estimateTrainingMemory(resolveConfig({ net: 'mlp', optimizer }), { inputShape: [28, 28, 1] });
    expect(at('adam').bytes).toBeGreaterThan(at('momentum').bytes);
    expect(at('momentum').bytes).toBeGreaterThan(at('sgd').bytes);
  });
});

describe('train and compare refuse a model that cannot fit, before any run folder exists', () => {
  it('train --depth 1202 --width 4096: one paragraph with the estimate, exit 1, nothing written', () => {
    const dir = tempDir();
    const runs = join(dir, 'runs');
    const r = runCli(['train', '--net', 'mlp', '--depth', '1202', '--width', '4096', '--run-dir', runs]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^resnet-tutor: mlp residual-bn d1202 w4096 with batch 64 needs at least \d+ GiB .* No run was created\.\n$/);
    expect(existsSync(runs) ? readdirSync(runs) : []).toEqual([]);
  });

  it('compare names the arm that cannot fit; wasm is held to its 4 GiB', () => {
    const dir = tempDir();
    const runs = join(dir, 'runs');
    const r = runCli([
      'compare',
      '--arch',
      'plain,residual',
      '--net',
      'mlp',
      '--depth',
      '20',
      '--width',
      '4096',
      '--batch-size',
      '65536',
      '--backend',
      'wasm',
      '--run-dir',
      runs,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('resnet-tutor: plain: mlp plain d20 w4096 with batch 65536 needs at least');
    expect(r.stderr).toContain('the 4 GiB that wasm can address');
    expect(existsSync(runs) ? readdirSync(runs) : []).toEqual([]);
  });
});
