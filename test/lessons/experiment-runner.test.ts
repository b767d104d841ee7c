import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLesson } from '../../src/lessons/check/build-lesson.js';
import { ExperimentRunner, TINY_BUDGET_ENV, tinyBudgetRequested } from '../../src/lessons/experiment-runner.js';
import { readLessonTag } from '../../src/lessons/lesson-runs.js';
import { parseLesson } from '../../src/lessons/parse.js';
import type { Experiment } from '../../src/lessons/types.js';
import { engineHostPerKind } from '../../src/worker/engine-host.js';
import { ensureBuilt, tempDir } from '../helpers/cli.js';

/**
 * The tutor's own path (ExperimentRunner with a real engine worker), on tiny configurations written
 * here: seeds, units, verdicts, divergence, the lesion probe after training, and the pruning of
 * older lesson runs.
 */
const QUESTIONS = [
  '::: question', 'type: single', 'prompt: P', 'options:', '  a) A', '  b) B', 'answer: a', 'hint: H', 'explain: E', ':::',
  '::: question', 'type: single', 'prompt: P', 'options:', '  a) A', '  b) B', 'answer: a', 'hint: H', 'explain: E', ':::',
  '::: question', 'type: single', 'prompt: P', 'options:', '  a) A', '  b) B', 'answer: a', 'hint: H', 'explain: E', ':::',
];
const TINY = ['width: 8', 'dataset: synthetic-spiral', 'train-limit: 64', 'val-limit: 32', 'steps: 4', 'batch-size: 16', 'cost: 5'];

function experiment(fields: string[]): Experiment {
  const text = ['---', 'format: 1', 'id: x', 'number: 1', 'title: T', 'summary: S', 'minutes: 5', '---', '::: experiment', 'title: E', 'predict: P', 'source: tutor', ...fields, ':::', ...QUESTIONS].join('\n');
  const built = buildLesson(parseLesson(text, 'x.md').lesson!, { file: 'x.md', path: '/tmp/01-x.md' });
  expect(built.problems).toEqual([]);
  const step = built.lesson!.steps[0]!;
  if (step.kind !== 'experiment') throw new Error('not an experiment');
  return step.experiment;
}

describe('ExperimentRunner on a real engine worker', () => {
  const hosts = engineHostPerKind();
  let root: string;
  beforeAll(() => {
    ensureBuilt();
    root = join(tempDir('rt-runner-'), 'lesson-runs');
  });
  afterAll(async () => {
    await hosts.close();
  });
  const runner = () => new ExperimentRunner(hosts.get, root, 'wasm', { tinyBudget: false });

  it('repeats every run per seed, reports each seed with its unit, judges the check, and keeps only the latest runs', async () => {
    const exp = experiment(['kind: train', 'compare: depth', 'depth: 1, 2', 'arch: residual-bn', 'seed: 4', 'seeds: 2', 'check: [depth 2] > 0; [depth 1] > 0', 'measure: final train accuracy', ...TINY]);
    const first = await runner().run(exp, false, () => undefined, { lessonId: 'x' });
    expect(first.skipped).toBe(false);
    expect(first.measurements!.map((m) => [m.label, m.unit, m.perSeed.length])).toEqual([
      ['depth 1', '%', 2],
      ['depth 2', '%', 2],
    ]);
    // Accuracies are percentages (the trainer logs fractions), and the mean is the mean of the seeds.
    for (const m of first.measurements!) {
      for (const v of m.perSeed) expect(v).toBeGreaterThanOrEqual(0);
      expect(m.perSeed.some((v) => v > 1)).toBe(true);
      expect(m.value).toBeCloseTo((m.perSeed[0]! + m.perSeed[1]!) / 2, 10);
    }
    expect(first.verdict!.outcome).toBe('held');
    expect(first.verdict!.headline).toMatch(/^Held in your run: .*\(2 of 2 seeds\)\.$/);
    expect(first.results!.kind).toBe('train');
    const runs = first.results!.kind === 'train' ? first.results!.runs : [];
    expect(runs.map((r) => [r.label, r.seed])).toEqual([
      ['depth 1', 4],
      ['depth 2', 4],
      ['depth 1', 5],
      ['depth 2', 5],
    ]);
    expect(first.measured).toEqual(first.measurements!.map((m) => ({ label: m.label, value: m.value })));
    expect(readLessonTag(join(root, first.runIds[2]!))).toEqual({ lesson: 'x', experiment: 'step-1', variant: 'quick', label: 'depth 1', seed: 5 });
    expect(statSync(root).mode & 0o777).toBe(0o700);

    // Again: the four new runs replace the four old ones.
    const second = await runner().run(exp, false, () => undefined, { lessonId: 'x' });
    expect(readdirSync(root).sort()).toEqual([...second.runIds].sort());
    for (const id of first.runIds) expect(existsSync(join(root, id))).toBe(false);
  }, 120_000);

  it('is undecided when a run diverges, naming the step and the block', async () => {
    const exp = experiment(['kind: train', 'compare: lr', 'lr: 0.01, 100000', 'arch: plain', 'depth: 3', 'optimizer: sgd', 'check: [lr 100000] > [lr 0.01]', 'measure: final train loss', ...TINY]);
    const out = await runner().run(exp, false, () => undefined);
    const runs = out.results!.kind === 'train' ? out.results!.runs : [];
    const bad = runs.find((r) => r.label === 'lr 100000')!;
    expect(bad.status).toBe('diverged');
    expect(out.verdict!.outcome).toBe('undecided');
    expect(out.verdict!.headline).toMatch(new RegExp(`^Undecided: lr 100000 \\(seed 1\\) diverged at step ${bad.divergence!.step}`));
    expect(out.measurements!.find((m) => m.label === 'lr 100000')!.value).toBeNaN();
  }, 120_000);

  it('trains, then lesions, each compared network (the training fields are not the probe\'s options)', async () => {
    const exp = experiment(['kind: probe', 'probe: lesion', 'compare: arch', 'arch: plain, residual-bn', 'net: mlp', 'depth: 3', 'limit: 32', 'check: [arch residual-bn] between -100 and 100', 'measure: mean accuracy drop', ...TINY]);
    const messages: string[] = [];
    const out = await runner().run(exp, false, (u) => u.message && messages.push(u.message));
    expect(messages.join('\n')).not.toMatch(/does not apply/);
    expect(out.runIds).toHaveLength(2);
    expect(out.measurements!.map((m) => [m.label, m.unit])).toEqual([
      ['arch plain', 'percentage points'],
      ['arch residual-bn', 'percentage points'],
    ]);
    expect(out.measurements!.every((m) => Number.isFinite(m.value))).toBe(true);
    expect(out.results!.kind === 'probe' && out.results!.runs.map((r) => r.result.probe)).toEqual(['lesion', 'lesion']);
    expect(out.verdict!.outcome).toBe('held');
  }, 120_000);
});

describe('the tiny-budget knob', () => {
  it('is on only with the test-only variable set to exactly 1', () => {
    expect(TINY_BUDGET_ENV).toMatch(/TEST_ONLY/);
    expect(tinyBudgetRequested({})).toBe(false);
    expect(tinyBudgetRequested({ [TINY_BUDGET_ENV]: 'true' })).toBe(false);
    expect(tinyBudgetRequested({ [TINY_BUDGET_ENV]: '1' })).toBe(true);
  });
});
