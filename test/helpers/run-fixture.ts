import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { resolveConfig, type TrainConfig } from '../../src/contracts/train-config.js';
import type { MetricsLine } from '../../src/contracts/run-folder.js';
import { appendMetrics, writeRunInfo, type RunInfo } from '../../src/runs/run-dir.js';

/**
 * Run folders written directly (run.json + metrics.jsonl), so tests of `runs`, `report` and `watch`
 * need no training. Values follow a simple, known pattern.
 */
export const UNITS = ['stem', 'block1', 'block2', 'block3', 'head'] as const;

export function fixtureInfo(id: string, changes: Partial<RunInfo> = {}, config: Partial<TrainConfig> = {}): RunInfo {
  return {
    id,
    config: { ...resolveConfig({ depth: 3, width: 32, steps: 40, logEvery: 5, trainLimit: 512, valLimit: 128 }), ...config },
    status: 'completed',
    created: '2026-01-01T10:00:00.000Z',
    updated: '2026-01-01T10:05:00.000Z',
    step: 40,
    totalSteps: 40,
    stepsPerEpoch: 8,
    units: [...UNITS],
    backend: { name: 'wasm', device: 'CPU (wasm, SIMD, 1 thread)', usingGpu: false, attempts: [{ name: 'wasm', ok: true }], warnings: [] },
    versions: { 'tfjs-core': '4.22.0', node: '20.0.0' },
    lastCheckpoint: 40,
    bestValAccuracy: 0.75,
    lastValLoss: 0.6,
    ...changes,
  };
}

/** Metrics line i (1-based) of a fixture: loss 2/i, accuracy i/10, validation every 4th line. */
export function fixtureLine(i: number, logEvery = 5): MetricsLine {
  const step = i * logEvery;
  const line: MetricsLine = {
    step,
    epoch: step / 8,
    loss: 2 / i,
    accuracy: Math.min(0.95, i / 10),
    lr: 0.05,
    gradNorms: UNITS.map((_, u) => (1 + 1 / i) / 10 ** (u + 1)),
    activationVariances: UNITS.map((_, u) => 2 ** u),
    samplesPerSecond: 1000 + i,
    time: new Date(Date.UTC(2026, 0, 1, 10, 0, i)).toISOString(),
  };
  return i % 4 === 0 ? { ...line, valLoss: 1.5 / i, valAccuracy: 0.5 + i / 100 } : line;
}

/** Writes `<root>/<id>/` with run.json and `lines` metrics lines; returns the folder. */
export function writeFixtureRun(
  root: string,
  id: string,
  opts: { lines?: number; info?: Partial<RunInfo>; config?: Partial<TrainConfig> } = {},
): string {
  const path = join(root, id);
  mkdirSync(path, { recursive: true });
  writeRunInfo(path, fixtureInfo(id, opts.info, opts.config));
  const n = opts.lines ?? 8;
  if (n > 0)
    appendMetrics(
      path,
      Array.from({ length: n }, (_, k) => fixtureLine(k + 1)),
    );
  return path;
}
