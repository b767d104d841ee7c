import { render } from 'ink-testing-library';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadLessons } from '../../src/lessons/load.js';
import type { ExperimentResults } from '../../src/contracts/lesson-results.js';
import type { ChartStep, Experiment, Lesson } from '../../src/lessons/types.js';
import { chartOf } from '../../src/ui/tutor/chart-model.js';
import type { LessonProgressView } from '../../src/ui/tutor/state.js';
import { TutorApp } from '../../src/ui/tutor/TutorApp.js';
import { probeResults, trainResults } from './real-results.js';

const { lessons } = loadLessons();
const charts = lessons.flatMap((lesson) =>
  lesson.steps.flatMap((step, index) => (step.kind === 'chart' ? [{ lesson, step: step as ChartStep, index }] : [])),
);
const experimentOf = (lesson: Lesson, key: string): Experiment => {
  const s = lesson.steps.find((x) => x.kind === 'experiment' && x.experiment.key === key);
  if (s?.kind !== 'experiment') throw new Error(`no experiment ${key} in ${lesson.id}`);
  return s.experiment;
};

// Real results at a tiny size for every experiment a chart draws: the real trainer with each run's
// label, the real probes.
const results = new Map<string, ExperimentResults>();
beforeAll(async () => {
  for (const { lesson, step } of charts) {
    if (step.chart.source !== 'experiment') continue;
    const exp = experimentOf(lesson, step.chart.experiment);
    const key = `${lesson.id}/${exp.key}`;
    if (results.has(key)) continue;
    results.set(
      key,
      exp.kind === 'train'
        ? await trainResults(
            exp.quick.runs.map((r) => ({
              label: r.label,
              raw: { arch: r.config.arch === 'plain-bn' ? 'plain' : r.config.arch, depth: Math.min(4, r.config.depth) },
            })),
          )
        : await probeResults(exp.probe),
    );
  }
}, 240_000);

function show(lesson: Lesson, index: number, size: { columns: number; rows: number }, experiments: LessonProgressView['experiments'] = {}) {
  const progress = { [lesson.id]: { step: index, completed: false, experiments } };
  const view = render(
    <TutorApp
      lessons={[lesson]}
      progress={progress}
      problems={[]}
      open={0}
      onCommand={() => undefined}
      color={false}
      unicode
      size={size}
    />,
  );
  const frame = view.lastFrame()!;
  view.unmount();
  return frame;
}

function expectFits(frame: string, size: { columns: number; rows: number }) {
  const lines = frame.split('\n');
  expect(lines.length).toBeLessThanOrEqual(size.rows - 1);
  for (const l of lines) expect([...l].length).toBeLessThan(size.columns);
}

describe('every shipped chart step draws', () => {
  it('finds every chart step of the course (14, with lesson 7 learned scales)', () => {
    expect(charts.length).toBe(14);
  });

  for (const size of [
    { columns: 80, rows: 24 },
    { columns: 60, rows: 16 },
  ]) {
    for (const { lesson, step, index } of charts) {
      it(`lesson ${lesson.number} step ${index + 1} (${step.title}) at ${size.columns}x${size.rows}`, () => {
        const chart = step.chart;
        const saved =
          chart.source === 'experiment'
            ? { [chart.experiment]: { measured: {}, results: results.get(`${lesson.id}/${chart.experiment}`)! } }
            : {};
        const frame = show(lesson, index, size, saved);
        expectFits(frame, size);
        expect(frame).toContain(`step ${index + 1}/${lesson.steps.length} · chart`);
        // Both axes are named, and the x range is printed under the plot.
        expect(frame).toMatch(/^y: \S/m);
        expect(frame).toMatch(/(^| · )x: \S/m);
        const drawn = chartOf(chart, lesson, {
          [chart.source === 'experiment' ? chart.experiment : '']:
            chart.source === 'experiment' ? results.get(`${lesson.id}/${chart.experiment}`) : undefined,
        });
        if (drawn.kind === 'missing') throw new Error(drawn.message);
        const [left, right] = drawn.xRange;
        expect(frame).toContain(left);
        expect(frame).toContain(right);
        const labels = drawn.kind === 'lines' ? drawn.series.map((s) => s.label) : drawn.strips.map((s) => s.label);
        expect(labels.length).toBeGreaterThan(0);
        for (const label of labels) expect(frame).toContain(label);
        // Independently of the chart model: every series the lesson writes, every run it compares.
        if (chart.source === 'inline') for (const s of chart.series) expect(frame).toContain(s.name);
        else {
          const exp = experimentOf(lesson, chart.experiment);
          if (exp.kind === 'train') for (const r of exp.quick.runs) expect(frame).toContain(r.label);
        }
        // Without colour, each line series' legend entry carries its own mark.
        if (drawn.kind === 'lines') {
          const marks = ['──', '··', '++', 'xx', 'oo', '**'];
          drawn.series.forEach((_, i) => expect(frame).toContain(`${marks[i % marks.length]} `));
        }
      });
    }
  }

  it('says which step to run when the experiment has no results yet', () => {
    const { lesson, index } = charts.find((c) => c.step.chart.source === 'experiment')!;
    const size = { columns: 60, rows: 16 };
    const frame = show(lesson, index, size);
    expectFits(frame, size);
    expect(frame.replace(/\s+/g, ' ')).toMatch(/has not run yet: go back to step \d+/);
  });
});
