/**
 * The one place the tutor reads probe result fields (src/engine/probes/*.ts): which series a chart
 * metric draws from a probe's result, with their labels and axes. A change to a probe's result shape
 * touches this file only. Type-only imports: no tfjs on the main thread.
 */
import type { ProbeRunResult } from '../../contracts/lesson-results.js';
import type { ProbeResult } from '../../contracts/probe-protocol.js';
import type { ChartData, Series } from './chart-model.js';

const finite = (v: number | null | undefined): number => (v === null || v === undefined ? NaN : v);

/**
 * A probe run's series label: the run's own label in front when the experiment compares runs, and
 * the seed behind when it ran several.
 */
function prefix(run: ProbeRunResult, many: Many, label: string): string {
  return `${many.labels && run.label ? `${run.label}: ` : ''}${label}${many.seeds ? ` (seed ${run.seed})` : ''}`;
}

interface Many {
  readonly labels: boolean;
  readonly seeds: boolean;
}

/** dy/dx standardised to mean 0, standard deviation 1, so nets of any gain share one scale. */
function standardised(g: readonly (number | null)[]): number[] {
  const xs = g.map(finite);
  const ok = xs.filter(Number.isFinite);
  const mean = ok.reduce((a, b) => a + b, 0) / Math.max(1, ok.length);
  const sd = Math.sqrt(ok.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, ok.length));
  return xs.map((v) => (sd > 0 ? (v - mean) / sd : 0));
}

/**
 * The chart of `metric` (one of CHART_METRICS for the probe) over every run of the experiment, or
 * null when the metric does not belong to this probe.
 */
/** A line chart over the blocks 1..`blocks`, input side left (variance, lesion, bn-scale). */
function perBlock(title: string, series: Series[], blocks: number, log: boolean, x: string, y: string): ChartData {
  return { kind: 'lines', title, series, log, xRange: ['block 1', `block ${blocks}`], x, y };
}

export function probeChart(runs: readonly ProbeRunResult[], metric: string, title: string): ChartData | null {
  const many: Many = { labels: new Set(runs.map((r) => r.label)).size > 1, seeds: new Set(runs.map((r) => r.seed)).size > 1 };
  const first = runs[0]?.result;
  if (!first) return null;
  const each = <T extends ProbeResult['probe']>(probe: T) =>
    runs.filter((r): r is ProbeRunResult & { result: Extract<ProbeResult, { probe: T }> } => r.result.probe === probe);
  switch (first.probe) {
    case 'variance': {
      if (metric !== 'variance' && metric !== 'batch-variance') return null;
      const batch = metric === 'batch-variance';
      const series: Series[] = each('variance').flatMap((r) =>
        r.result.series.map((s) => ({
          label: prefix(r, many, s.label),
          values: (batch ? s.batchVariance : s.meanSquare).map((v) => (v === null ? Infinity : v)),
        })),
      );
      const blocks = first.blocks;
      return perBlock(
        title,
        series,
        blocks,
        true,
        'block (input side left)',
        batch ? "batch variance of each unit's output" : "E[h²] of each block's output",
      );
    }
    case 'shatter': {
      if (metric === 'gradient') {
        return {
          kind: 'strips',
          title,
          strips: each('shatter').flatMap((r) =>
            r.result.nets.map((n) => ({
              // With several runs the short key ("plain-bn") keeps the labels narrow; the run label says the depth.
              label: prefix(r, many, many.labels ? n.key : n.label),
              values: standardised(n.gradient),
              note: n.neighbourCorrelation === null ? 'c=-' : `c=${n.neighbourCorrelation.toFixed(2)}`,
            })),
          ),
          xRange: [`x = ${first.range[0]}`, `x = ${first.range[1]}`],
          x: 'input x',
          y: 'dy/dx standardised (bars); c = neighbour corr.',
        };
      }
      if (metric !== 'autocorrelation') return null;
      return {
        kind: 'lines',
        title,
        series: each('shatter').flatMap((r) =>
          r.result.nets.map((n) => ({ label: prefix(r, many, n.label), values: [...n.autocorrelation] })),
        ),
        log: false,
        xRange: ['distance 0', `distance ${first.maxDistance.toFixed(2)}`],
        x: 'distance between inputs',
        y: 'autocorrelation of dy/dx',
      };
    }
    case 'paths': {
      if (metric !== 'path-lengths' && metric !== 'gradient-by-length') return null;
      const all = each('paths');
      const longest = Math.max(...all.map((r) => r.result.blocks));
      // Runs of different depth share one x axis: path length 0..K of the deepest.
      const pad = (xs: number[]) => [...xs, ...new Array<number>(Math.max(0, longest + 1 - xs.length)).fill(NaN)];
      const series: Series[] =
        metric === 'path-lengths'
          ? all.flatMap((r) => [
              { label: prefix(r, many, 'share of paths'), values: pad(r.result.lengths.map((l) => 100 * l.share)) },
              { label: prefix(r, many, 'share of gradient'), values: pad(r.result.lengths.map((l) => 100 * finite(l.contributionShare))) },
            ])
          : all.map((r) => ({ label: prefix(r, many, '|grad| at input'), values: pad(r.result.lengths.map((l) => finite(l.gradient))) }));
      return {
        kind: 'lines',
        title,
        series,
        log: metric === 'gradient-by-length',
        xRange: ['length 0', `length ${longest}`],
        x: 'path length (branches on the path)',
        y: metric === 'path-lengths' ? '% of all paths / % of the gradient' : "|gradient| at the input, one example's loss",
      };
    }
    case 'lesion': {
      if (metric !== 'lesion-accuracy') return null;
      const all = each('lesion');
      const classification = first.baseline.accuracy !== null;
      const value = (r: (typeof all)[number], v: number | null) => (classification ? 100 * finite(v) : finite(v));
      const series: Series[] = all.flatMap((r) => {
        const base = classification ? r.result.baseline.accuracy : r.result.baseline.loss;
        return [
          {
            label: prefix(r, many, 'without block k'),
            values: r.result.rows.map((row) => value(r, (classification ? row.accuracy : row.loss) ?? base)),
          },
          { label: prefix(r, many, 'whole network'), values: r.result.rows.map(() => value(r, base)) },
        ];
      });
      const blocks = Math.max(...all.map((r) => r.result.rows.length));
      return perBlock(title, series, blocks, false, 'block removed (k)', classification ? 'validation accuracy (%)' : 'validation loss');
    }
    case 'bn-scale': {
      if (metric !== 'gamma-by-block') return null;
      const all = each('bn-scale');
      const series: Series[] = all.map((r) => ({
        label: prefix(r, many, "mean |gamma| of the branch's last BN"),
        values: r.result.blocks.map((b) => finite(b.lastGamma)),
      }));
      const blocks = Math.max(...all.map((r) => r.result.blocks.length));
      return perBlock(title, series, blocks, false, 'block (input side left)', 'learned BN scale |gamma| (unitless)');
    }
  }
}
