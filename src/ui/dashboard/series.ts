import { ema } from '../../render/chart-data.js';
import type { RunView } from './state.js';

/**
 * Turns runs' metrics lines into the series the dashboard's charts draw. Pure functions, so what a
 * chart shows can be tested without rendering.
 */
export interface ChartSpec {
  readonly title: string;
  readonly series: number[][];
  readonly labels: string[];
  readonly log: boolean;
  readonly xRange?: [string, string];
  /** Colour index per series (runs keep their colour across charts). */
  readonly colorIndex: number[];
}

const stepRange = (runs: readonly RunView[]): [string, string] | undefined => {
  const steps = runs.flatMap((r) => r.lines.map((l) => l.step));
  if (steps.length === 0) return undefined;
  return [`step ${Math.min(...steps)}`, `step ${Math.max(...steps)}`];
};

// `smoothing` is the weight of the past (TensorBoard style); ema() takes the weight of the new value.
const smooth = (xs: number[], smoothing: number) => (smoothing > 0 ? ema(xs, 1 - smoothing) : xs);

export function lossChart(runs: readonly RunView[], smoothing: number, log: boolean): ChartSpec {
  const series: number[][] = [];
  const labels: string[] = [];
  const colorIndex: number[] = [];
  runs.forEach((r, i) => {
    series.push(
      smooth(
        r.lines.map((l) => l.loss),
        smoothing,
      ),
    );
    labels.push(runs.length > 1 ? `${r.label} train` : 'train loss');
    colorIndex.push(runs.length > 1 ? i : 0);
    const val = r.lines.filter((l) => l.valLoss !== undefined);
    if (val.length > 0 && runs.length === 1) {
      // Validation is logged per epoch: hold each value until the next so it lines up with steps.
      series.push(holdForward(r.lines.map((l) => l.valLoss)));
      labels.push('val loss');
      colorIndex.push(1);
    }
  });
  const title = `Loss${log ? ' (log scale)' : ''}${smoothing > 0 ? `, EMA ${smoothing}` : ''}`;
  return { title, series, labels, log, xRange: stepRange(runs), colorIndex };
}

export function accuracyChart(runs: readonly RunView[], smoothing: number): ChartSpec {
  const series: number[][] = [];
  const labels: string[] = [];
  const colorIndex: number[] = [];
  runs.forEach((r, i) => {
    if (!r.lines.some((l) => l.accuracy !== undefined)) return;
    series.push(
      smooth(
        r.lines.map((l) => 100 * (l.accuracy ?? NaN)),
        smoothing,
      ),
    );
    labels.push(runs.length > 1 ? `${r.label} train` : 'train acc %');
    colorIndex.push(runs.length > 1 ? i : 0);
    if (runs.length === 1 && r.lines.some((l) => l.valAccuracy !== undefined)) {
      series.push(holdForward(r.lines.map((l) => (l.valAccuracy === undefined ? undefined : 100 * l.valAccuracy))));
      labels.push('val acc %');
      colorIndex.push(1);
    }
  });
  return { title: 'Accuracy (%)', series, labels, log: false, xRange: stepRange(runs), colorIndex };
}

/** Gradient norm over time of the first, middle and last unit (one run), or the middle unit per run. */
export function gradientTimeChart(runs: readonly RunView[]): ChartSpec {
  const [only] = runs;
  if (runs.length === 1 && only) {
    const r = only;
    const n = r.units.length;
    const picks = n === 0 ? [] : [...new Set([0, Math.floor((n - 1) / 2), n - 1])];
    return {
      title: 'Gradient norm per block over steps (log)',
      series: picks.map((u) => r.lines.map((l) => l.gradNorms[u] ?? NaN)),
      labels: picks.map((u) => r.units[u] ?? `unit ${u}`),
      log: true,
      xRange: stepRange(runs),
      colorIndex: picks.map((_, i) => i),
    };
  }
  return {
    title: 'Gradient norm of the first block over steps (log)',
    series: runs.map((r) => r.lines.map((l) => l.gradNorms[1] ?? l.gradNorms[0] ?? NaN)),
    labels: runs.map((r) => r.label),
    log: true,
    xRange: stepRange(runs),
    colorIndex: runs.map((_, i) => i),
  };
}

/** A per-unit profile (input side left) at the newest logged step; with one run, also the first step. */
function profileChart(runs: readonly RunView[], pick: (l: RunView['lines'][number]) => number[], title: string): ChartSpec {
  const series: number[][] = [];
  const labels: string[] = [];
  const colorIndex: number[] = [];
  runs.forEach((r, i) => {
    const last = r.lines[r.lines.length - 1];
    if (!last) return;
    const first = r.lines[0];
    if (runs.length === 1 && r.lines.length > 1 && first) {
      series.push(pick(first));
      labels.push(`step ${first.step}`);
      colorIndex.push(1);
    }
    series.push(pick(last));
    labels.push(runs.length > 1 ? r.label : `step ${last.step}`);
    colorIndex.push(runs.length > 1 ? i : 0);
  });
  const units = runs[0]?.units ?? [];
  const [firstUnit] = units;
  const lastUnit = units.at(-1);
  const xRange: [string, string] | undefined =
    units.length > 1 && firstUnit !== undefined && lastUnit !== undefined ? [firstUnit, lastUnit] : undefined;
  return { title, series, labels, log: true, xRange, colorIndex };
}

export function gradientProfileChart(runs: readonly RunView[]): ChartSpec {
  return profileChart(runs, (l) => l.gradNorms, 'Gradient norm across depth (log, input side left)');
}

export function varianceProfileChart(runs: readonly RunView[]): ChartSpec {
  return profileChart(runs, (l) => l.activationVariances, 'Activation variance across depth (log, input side left)');
}

export function learningRateChart(runs: readonly RunView[]): ChartSpec {
  return {
    title: 'Learning rate',
    series: runs.map((r) => r.lines.map((l) => l.lr)),
    labels: runs.map((r) => (runs.length > 1 ? r.label : 'lr')),
    log: false,
    xRange: stepRange(runs),
    colorIndex: runs.map((_, i) => i),
  };
}

function holdForward(xs: (number | undefined)[]): number[] {
  let last = NaN;
  return xs.map((x) => (x === undefined ? last : (last = x)));
}
