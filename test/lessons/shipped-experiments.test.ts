import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExperimentRunner } from '../../src/lessons/experiment-runner.js';
import { loadLessons } from '../../src/lessons/load.js';
import { formatProblem, type Experiment } from '../../src/lessons/types.js';
import { engineHostPerKind } from '../../src/worker/engine-host.js';
import { ensureBuilt, tempDir } from '../helpers/cli.js';

/**
 * Every experiment of every shipped lesson (whatever the lesson files hold: they are read, not
 * listed here), through the tutor's own path, ExperimentRunner on a real engine worker, on the
 * test-only tiny budget: each must end with a verdict and measurements that carry units. This is
 * what catches an experiment the checker accepts but the tutor cannot run (lesson 4's lesion did).
 */
const root = resolve(import.meta.dirname, '..', '..');
const loaded = loadLessons(join(root, 'lessons'), root);
const experiments: { name: string; lesson: string; experiment: Experiment }[] = loaded.lessons.flatMap((l) =>
  l.steps.flatMap((s) => (s.kind === 'experiment' ? [{ name: `${l.file} ${s.experiment.key}`, lesson: l.id, experiment: s.experiment }] : [])),
);

describe('every shipped lesson experiment, on the tiny test budget', () => {
  const hosts = engineHostPerKind();
  let runRoot: string;
  beforeAll(() => {
    ensureBuilt();
    runRoot = join(tempDir('rt-shipped-'), 'lesson-runs');
  });
  afterAll(async () => {
    await hosts.close();
  });

  it('loads every lesson without errors', () => {
    expect(loaded.problems.filter((p) => p.severity === 'error').map(formatProblem)).toEqual([]);
    expect(experiments.length).toBeGreaterThanOrEqual(loaded.lessons.length);
  });

  it.each(experiments)('$name ends with a verdict and measurements with units', async ({ lesson, experiment }) => {
    const runner = new ExperimentRunner(hosts.get, runRoot, 'wasm', { tinyBudget: true });
    const out = await runner.run(experiment, false, () => undefined, { lessonId: lesson });
    expect(out.skipped).toBe(false);
    expect(['held', 'not-held', 'undecided']).toContain(out.verdict!.outcome);
    expect(out.verdict!.headline).not.toBe('');
    const labels = out.measurements!.map((m) => m.label);
    // Every value the declared check names was produced (the checker's static labels are the runner's).
    expect(labels).toEqual(expect.arrayContaining([...experiment.quick.labels]));
    for (const m of out.measurements!) {
      expect(typeof m.unit).toBe('string');
      expect(m.perSeed).toHaveLength(1);
    }
    // A unit is '' only for the pure numbers (correlations, E[h²]).
    const unitless = ['neighbour correlation', 'final variance'];
    if (!unitless.includes(experiment.measure)) for (const m of out.measurements!) expect(m.unit).not.toBe('');
  }, 120_000);
});
