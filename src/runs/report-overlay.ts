import { describeModel } from '../contracts/train-config.js';
import { wrapWords } from '../util/wrap.js';
import { UserError } from '../util/errors.js';
import type { MetricsLine } from '../contracts/run-folder.js';
import { DEFAULT_COLORS, renderChart } from '../render/text-chart.js';
import { listCheckpoints } from './checkpoint.js';
import { formatPercent } from './list.js';
import { readMetrics, readRunInfo } from './run-dir.js';
import type { RunReport } from './report.js';
import { overlayLabels, selectRuns } from './select.js';

/**
 * `resnet-tutor report a,b`: runs that already exist (trained apart, at other times) overlaid: a
 * table row per run, and each chart with one series per run on a shared step axis, the legend
 * naming the run.
 */
export function loadReports(root: string, spec: string): RunReport[] {
  return selectRuns(root, spec, 'report').map((path) => ({
    path,
    info: readRunInfo(path),
    metrics: readMetrics(path),
    checkpoints: listCheckpoints(path),
  }));
}

export function formatOverlayText(reports: readonly RunReport[], opts: { width: number; color?: boolean; chartHeight?: number }): string {
  const width = opts.width;
  const labels = overlayLabels(reports.map((r) => r.info.id));
  const out: string[] = [clip(`${reports.length} runs overlaid: ${labels.join(' vs ')}`, width), ''];

  const head = ['run', 'status', 'step', 'loss', 'best val acc', 'samples/s'];
  const rows = reports.map((r, i) => {
    const last = r.metrics[r.metrics.length - 1];
    const total = r.info.totalSteps ?? r.info.config.steps ?? '?';
    const best = bestOf(r.metrics, (m) => m.valAccuracy);
    const speeds = r.metrics.map((m) => m.samplesPerSecond).filter((v) => Number.isFinite(v) && v > 0);
    return [
      labels[i]!,
      r.info.status,
      `${last?.step ?? r.info.step}/${total}`,
      last ? num(last.loss) : '-',
      best ? `${formatPercent(best.value)} (step ${best.step})` : '-',
      speeds.length ? String(Math.round(median(speeds))) : '-',
    ];
  });
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  for (const r of [head, ...rows])
    out.push(
      clip(
        r
          .map((cell, c) => cell.padEnd(widths[c]!))
          .join('  ')
          .trimEnd(),
        width,
      ),
    );
  out.push('');
  for (const [i, r] of reports.entries()) {
    const name = labels[i] === r.info.id ? r.info.id : `${labels[i]} = ${r.info.id}`;
    out.push(
      ...wrapWords(`${name}: ${describeModel(r.info.config)} on ${r.info.config.dataset}, in ${r.path}`, width, '', '    ').map((l) =>
        clip(l, width),
      ),
    );
  }

  const grid = [...new Set(reports.flatMap((r) => r.metrics.map((m) => m.step)))].sort((a, b) => a - b);
  if (grid.length === 0) {
    out.push('', 'No metrics logged yet in any of these runs.');
    return `${out.join('\n')}\n`;
  }
  const ends = reports.map((r) => r.metrics[r.metrics.length - 1]?.step ?? -1);
  const held = ends.some((e) => e !== Math.max(...ends)) ? ' (a run that ended earlier stays at its last value)' : '';
  const chart = (title: string, pick: (m: MetricsLine) => number | null | undefined, log = false) => {
    const series = reports.map((r) => onGrid(r.metrics, grid, pick));
    if (!series.some((s) => s.some(Number.isFinite))) return;
    out.push(
      '',
      renderChart({
        title: `${title}${held}`,
        series,
        labels,
        log,
        width,
        height: opts.chartHeight ?? 10,
        xRange: [`step ${grid[0]}`, `step ${grid[grid.length - 1]}`],
        ...(opts.color ? { colors: DEFAULT_COLORS } : {}),
      }).replace(/\n$/, ''),
    );
  };
  const percent = (v: number | null | undefined) => (typeof v === 'number' ? 100 * v : v);
  chart('Training loss', (m) => m.loss);
  chart('Validation loss (at each evaluation)', (m) => m.valLoss);
  chart('Training accuracy (%)', (m) => percent(m.accuracy));
  chart('Validation accuracy (%)', (m) => percent(m.valAccuracy));
  return `${out.join('\n')}\n`;
}

/** `report a,b --json`: one {run, metrics} object per run, in the order named. */
export function formatOverlayJson(reports: readonly RunReport[]): string {
  return `${JSON.stringify(reports.map((r) => ({ run: r.info, metrics: r.metrics })))}\n`;
}

export function overlayCsvRefusal(spec: string): UserError {
  return new UserError(
    `--csv takes one run at a time (each run's columns follow its own blocks); "${spec}" names several. Run \`resnet-tutor report <run> --csv\` once per run, or use --json for all of them in one document.`,
  );
}

/**
 * A run's values at every step of the shared axis: the latest value logged at or before that step
 * (metrics lines and evaluations come at different intervals in different runs), NaN before its
 * first and after its last line.
 */
function onGrid(metrics: readonly MetricsLine[], grid: readonly number[], pick: (m: MetricsLine) => number | null | undefined): number[] {
  const out: number[] = [];
  const end = metrics[metrics.length - 1]?.step ?? -Infinity;
  let k = 0;
  let current = NaN;
  for (const step of grid) {
    while (k < metrics.length && metrics[k]!.step <= step) {
      const v = pick(metrics[k]!);
      if (v !== undefined) current = v === null ? NaN : v;
      k++;
    }
    out.push(step > end ? NaN : current);
  }
  return out;
}

function bestOf(metrics: readonly MetricsLine[], pick: (m: MetricsLine) => number | undefined): { value: number; step: number } | null {
  let best: { value: number; step: number } | null = null;
  for (const m of metrics) {
    const v = pick(m);
    if (typeof v === 'number' && Number.isFinite(v) && (!best || v > best.value)) best = { value: v, step: m.step };
  }
  return best;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function num(x: number | null): string {
  if (typeof x !== 'number') return 'NaN';
  return Math.abs(x) >= 1000 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(2) : x.toFixed(4);
}

function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}
