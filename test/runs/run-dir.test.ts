import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/contracts/train-config.js';
import type { MetricsLine } from '../../src/contracts/run-folder.js';
import { appendMetrics, createRunDir, findRun, readMetrics, trimMetrics } from '../../src/runs/run-dir.js';
import { tempDir } from '../helpers/cli.js';

const line = (step: number): MetricsLine => ({
  step,
  epoch: step / 10,
  loss: 1 / step,
  lr: 0.1,
  gradNorms: [1],
  activationVariances: [1],
  samplesPerSecond: 100,
  time: '2026-11-28T00:00:00.000Z',
});

describe('metrics.jsonl', () => {
  it('ignores a torn last line on read, and trims it and every step past the checkpoint on resume', () => {
    const root = tempDir();
    const { path } = createRunDir(root, resolveConfig({}), {});
    appendMetrics(path, [line(10), line(20), line(30)]);
    appendFileSync(join(path, 'metrics.jsonl'), '{"step":40,"epoch":4,"lo');
    expect(readMetrics(path).map((l) => l.step)).toEqual([10, 20, 30]);
    trimMetrics(path, 30);
    expect(readFileSync(join(path, 'metrics.jsonl'), 'utf8').endsWith('\n')).toBe(true);
    appendMetrics(path, [line(40)]);
    expect(readMetrics(path).map((l) => l.step)).toEqual([10, 20, 30, 40]);
    trimMetrics(path, 20);
    expect(readMetrics(path).map((l) => l.step)).toEqual([10, 20]);
  });

  it('one bad line in the middle: no good line is lost, the damage is reported, the file as it was is kept', () => {
    const root = tempDir();
    const { path } = createRunDir(root, resolveConfig({}), {});
    const file = join(path, 'metrics.jsonl');
    appendMetrics(path, [line(10)]);
    appendFileSync(file, '{"step":11,"lo\x00ss"\n');
    appendMetrics(path, [line(20), line(30), line(40)]);
    const original = readFileSync(file, 'utf8');
    const report = trimMetrics(path, 30);
    expect(report).toMatch(
      /metrics\.jsonl: line 2 could not be read and was left out; every readable line up to step 30 is kept, and the file as it was is saved as .*metrics\.jsonl\.damaged-/,
    );
    expect(readMetrics(path).map((l) => l.step)).toEqual([10, 20, 30]);
    const aside = readdirSync(path).filter((n) => n.startsWith('metrics.jsonl.damaged-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(path, aside[0]!), 'utf8')).toBe(original);
    // Nothing more to do the second time.
    expect(trimMetrics(path, 30)).toBeNull();
  });
});

describe('finding runs', () => {
  it('by id, unique prefix or path; unknown and ambiguous names are user errors', () => {
    const root = tempDir();
    const a = createRunDir(root, resolveConfig({ arch: 'plain' }), {});
    const b = createRunDir(root, resolveConfig({ arch: 'residual' }), {});
    expect(findRun(root, a.id)).toBe(a.path);
    expect(findRun(root, b.path)).toBe(b.path);
    const prefix = a.id.slice(0, 15);
    expect(() => findRun(root, prefix)).toThrow(/matches 2 runs/);
    expect(findRun(root, a.id.slice(0, a.id.indexOf('-plain') + 4))).toBe(a.path);
    expect(() => findRun(root, 'nope')).toThrow(/No run "nope" in .*resnet-tutor runs/);
  });
});
