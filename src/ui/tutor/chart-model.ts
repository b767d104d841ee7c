/**
 * What a lesson's chart step draws, as plain data: from numbers written in the lesson file, or from
 * an earlier experiment's results (training metrics here; probe results through probe-series.ts).
 * Pure, so tests can check every shipped chart without rendering.
 */
import type { ExperimentResults, TrainRunResult } from '../../contracts/lesson-results.js';
import type { Chart, Lesson } from '../../lessons/types.js';
import { probeChart } from './probe-series.js';

export interface Series {
  readonly label: string;
  readonly values: readonly number[];
}

/** Line charts: every series spread over the same x range. */
export interface LineChart {
  readonly kind: 'lines';
  readonly title: string;
  readonly series: readonly Series[];
  readonly log: boolean;
  readonly xRange: readonly [string, string];
  /** What the axes stand for, in words (with the unit). */
  readonly x: string;
  readonly y: string;
}

/** One bar strip per series: for noisy series (a shattered gradient) that would hide each other as lines. */
export interface StripChart {
  readonly kind: 'strips';
  readonly title: string;
  readonly strips: readonly (Series & { readonly note: string })[];
  readonly xRange: readonly [string, string];
  readonly x: string;
  readonly y: string;
}

export type ChartData = LineChart | StripChart;

/** Why a chart cannot be drawn yet, in words that say what to do. */
export interface MissingChart {
  readonly kind: 'missing';
  readonly title: string;
  readonly message: string;
}

/**
 * The chart of a chart step. `results` holds the lesson's experiments' results by experiment key;
 * a chart of an experiment not run yet says which step runs it.
 */
export function chartOf(
  chart: Chart,
  lesson: Lesson,
  results: Readonly<Record<string, ExperimentResults | undefined>>,
): ChartData | MissingChart {
  if (chart.source === 'inline') {
    const longest = Math.max(1, ...chart.series.map((s) => s.values.length));
    return {
      kind: 'lines',
      title: chart.title,
      series: chart.series.map((s) => ({ label: s.name, values: s.values })),
      log: chart.scale === 'log',
      xRange: ['1', String(longest)],
      x: chart.x || 'point',
      y: `${chart.y || 'value'}${chart.scale === 'log' ? ' (log scale)' : ''}`,
    };
  }
  const index = lesson.steps.findIndex((s) => s.kind === 'experiment' && s.experiment.key === chart.experiment);
  const step = lesson.steps[index];
  const name = step?.kind === 'experiment' ? step.experiment.title : chart.experiment;
  const title = chart.title || name;
  const r = results[chart.experiment];
  if (!r) {
    return {
      kind: 'missing',
      title,
      message: `This chart draws the results of "${name}" (step ${index + 1}), which has not run yet: go back to step ${index + 1} (← or b) and press Enter there to run it.`,
    };
  }
  const drawn = r.kind === 'train' ? trainChart(r.runs, chart.metric, title) : probeChart(r.runs, chart.metric, title);
  if (!drawn || (drawn.kind === 'lines' && drawn.series.length === 0)) {
    return {
      kind: 'missing',
      title,
      message: `The results of "${name}" have no ${chart.metric} to draw; run step ${index + 1} again (r there).`,
    };
  }
  return chart.scale === 'log' && drawn.kind === 'lines' ? { ...drawn, log: true } : drawn;
}

const TRAIN_AXES: Readonly<Record<string, { y: string; log: boolean; profile: boolean }>> = {
  loss: { y: 'training loss (nats)', log: false, profile: false },
  accuracy: { y: 'training accuracy (%)', log: false, profile: false },
  'val-loss': { y: 'validation loss (nats)', log: false, profile: false },
  'val-accuracy': { y: 'validation accuracy (%)', log: false, profile: false },
  'grad-norms': { y: 'gradient norm per unit, last logged step (log)', log: true, profile: true },
  'activation-variances': { y: 'activation variance per unit, last logged step (log)', log: true, profile: true },
};

/** Training metrics: one series per run, over steps (or across the units, for the per-unit metrics). */
export function trainChart(runs: readonly TrainRunResult[], metric: string, title: string): LineChart | null {
  const axes = TRAIN_AXES[metric];
  if (!axes) return null;
  const seeds = new Set(runs.map((r) => r.seed)).size > 1;
  const label = (r: TrainRunResult) =>
    `${r.label || 'run'}${seeds ? ` (seed ${r.seed})` : ''}${r.status === 'diverged' ? ' (diverged)' : ''}`;
  const withLines = runs.filter((r) => r.lines.length > 0);
  if (axes.profile) {
    const pick = (l: TrainRunResult['lines'][number]) => (metric === 'grad-norms' ? l.gradNorms : l.activationVariances);
    const units = Math.max(0, ...withLines.map((r) => pick(r.lines[r.lines.length - 1]!).length));
    return {
      kind: 'lines',
      title,
      series: withLines.map((r) => ({ label: label(r), values: pick(r.lines[r.lines.length - 1]!) })),
      log: true,
      xRange: ['unit 1 (stem)', `unit ${units} (head)`],
      x: 'unit, input side left',
      y: axes.y,
    };
  }
  const value = (l: TrainRunResult['lines'][number]): number => {
    switch (metric) {
      case 'accuracy':
        return 100 * (l.accuracy ?? NaN);
      case 'val-loss':
        return l.valLoss ?? NaN;
      case 'val-accuracy':
        return 100 * (l.valAccuracy ?? NaN);
      default:
        return l.loss;
    }
  };
  const steps = withLines.flatMap((r) => r.lines.map((l) => l.step));
  return {
    kind: 'lines',
    title,
    series: withLines.map((r) => ({ label: label(r), values: r.lines.map(value) })),
    log: false,
    xRange: steps.length > 0 ? [`step ${Math.min(...steps)}`, `step ${Math.max(...steps)}`] : ['step 0', 'step 0'],
    x: 'training step',
    y: axes.y,
  };
}
