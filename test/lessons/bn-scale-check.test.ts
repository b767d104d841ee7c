import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadLessonFile } from '../../src/lessons/load.js';
import { formatProblem } from '../../src/lessons/types.js';

/**
 * Lesson 7's bn-scale step: the checker knows the labels the probe produces (a single trained run:
 * the measure's own name) and refuses a check on anything else, e.g. the architecture's name.
 */
const root = join(import.meta.dirname, '..', '..');
const temp = mkdtempSync(join(tmpdir(), 'rt-bn-scale-check-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));
const lesson7 = readFileSync(join(root, 'lessons', '07-batch-norm.md'), 'utf8');
const shipped = 'check: [late over early gamma] between 0.9 and 1.1';

function load(text: string) {
  const file = join(temp, '07-batch-norm.md');
  writeFileSync(file, text);
  return loadLessonFile(file, temp);
}

describe("lesson 7's bn-scale experiment", () => {
  it('measures late over early gamma, checked over three seeds', () => {
    expect(lesson7).toContain(shipped);
    const { lesson, problems } = load(lesson7);
    expect(problems.filter((p) => p.severity === 'error').map(formatProblem)).toEqual([]);
    const step = lesson!.steps.find((s) => s.kind === 'experiment' && s.experiment.key === 'bn-scales');
    expect(step?.kind).toBe('experiment');
    if (step?.kind !== 'experiment') return;
    expect(step.experiment.kind).toBe('probe');
    expect(step.experiment.measure).toBe('late over early gamma');
    expect(step.experiment.quick.labels).toEqual(['late over early gamma']);
    expect(step.experiment.quick.seeds).toBeGreaterThanOrEqual(3);
  });

  it('refuses a check on a value the probe does not produce, naming the one it does', () => {
    const { problems } = load(lesson7.replace(shipped, 'check: [residual-bn] > 0'));
    expect(problems.map(formatProblem).join('\n')).toMatch(/refers to \[residual-bn\], which this experiment does not measure \(its values: \[late over early gamma\]\)/);
  });
});
