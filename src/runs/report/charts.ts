import type { MetricsLine } from '../../contracts/run-folder.js';
import { DEFAULT_COLORS, renderChart, type ChartOptions } from '../../render/text-chart.js';
import { unitName } from './units.js';

/** What one chart shows; the size and colours are the report's. */
type Chart = Pick<ChartOptions, 'title' | 'series' | 'labels' | 'log'> & { readonly xRange: [string, string] };

/**
 * The last block of the text report: the loss curve, then accuracy, gradient norms and activation
 * variances where the run logged them. Nothing when it has no metrics yet.
 */
export function chartLines(
  metrics: readonly MetricsLine[],
  units: readonly string[],
  opts: { width: number; color?: boolean; chartHeight?: number },
): string[] {
  const first = metrics[0];
  const last = metrics[metrics.length - 1];
  if (!first || !last) return [];
  const steps: [string, string] = [`step ${first.step}`, `step ${last.step}`];
  const charts = [
    lossChart(metrics, steps),
    accuracyChart(metrics, steps),
    gradientChart(metrics, units, steps),
    activationChart(metrics, units),
  ].filter((c) => c !== null);
  const colors = opts.color ? DEFAULT_COLORS : undefined;
  const height = opts.chartHeight ?? 10;
  return ['', ...charts.map((c) => renderChart({ ...c, width: opts.width, height, colors }))];
}

function lossChart(metrics: readonly MetricsLine[], xRange: [string, string]): Chart {
  const hasVal = metrics.some((m) => m.valLoss !== undefined);
  return {
    title: hasVal ? 'Loss (training; validation held between evaluations)' : 'Training loss',
    series: hasVal ? [metrics.map((m) => m.loss), held(metrics, (m) => m.valLoss)] : [metrics.map((m) => m.loss)],
    labels: hasVal ? ['training loss', 'validation loss'] : ['training loss'],
    xRange,
  };
}

function accuracyChart(metrics: readonly MetricsLine[], xRange: [string, string]): Chart | null {
  if (!metrics.some((m) => m.accuracy !== undefined || m.valAccuracy !== undefined)) return null;
  const pct = (v: number | undefined) => (v === undefined ? undefined : v === null ? NaN : 100 * v);
  const hasValAcc = metrics.some((m) => m.valAccuracy !== undefined);
  return {
    title: 'Accuracy (%)',
    series: hasValAcc
      ? [metrics.map((m) => pct(m.accuracy) ?? NaN), held(metrics, (m) => pct(m.valAccuracy))]
      : [metrics.map((m) => pct(m.accuracy) ?? NaN)],
    labels: hasValAcc ? ['training', 'validation'] : ['training'],
    xRange,
  };
}

/** The first, middle and last unit's gradient norms. */
function gradientChart(metrics: readonly MetricsLine[], units: readonly string[], xRange: [string, string]): Chart | null {
  const unitCount = metrics.reduce((n, m) => Math.max(n, m.gradNorms?.length ?? 0), 0);
  if (unitCount === 0) return null;
  const picks = [...new Set([0, Math.floor((unitCount - 1) / 2), unitCount - 1])];
  return {
    title: 'Gradient norm per unit (log scale)',
    series: picks.map((u) => metrics.map((m) => m.gradNorms?.[u] ?? NaN)),
    labels: picks.map((u) => unitName(units, u)),
    log: true,
    xRange,
  };
}

/** Variance by depth on the last profiled line, against the first where both cover the same units. */
function activationChart(metrics: readonly MetricsLine[], units: readonly string[]): Chart | null {
  const profiled = [...metrics].reverse().find((m) => (m.activationVariances?.length ?? 0) > 0);
  const first = metrics.find((m) => (m.activationVariances?.length ?? 0) > 0);
  if (!profiled || !first) return null;
  const n = profiled.activationVariances.length;
  const both = first !== profiled && first.activationVariances.length === n;
  return {
    title: `Activation variance across depth at step ${profiled.step} (log scale)`,
    series: both ? [profiled.activationVariances, first.activationVariances] : [profiled.activationVariances],
    labels: both ? [`step ${profiled.step}`, `step ${first.step} (first logged)`] : [`step ${profiled.step}`],
    log: true,
    xRange: [`${unitName(units, 0)} (input side)`, `${unitName(units, n - 1)}`],
  };
}

/** Validation values on every line: the latest evaluation so far (NaN before the first one). */
function held(metrics: readonly MetricsLine[], pick: (m: MetricsLine) => number | undefined): number[] {
  let current = NaN;
  return metrics.map((m) => {
    const v = pick(m);
    if (v !== undefined) current = v === null ? NaN : v;
    return current;
  });
}
