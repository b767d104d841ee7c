import { resolve } from 'node:path';
import { describeModel } from '../contracts/train-config.js';
import { wrapWords } from '../util/wrap.js';
import type { MetricsLine } from '../contracts/run-folder.js';
import { colorEnabled, DEFAULT_COLORS, renderChart, type ChartColor } from '../render/text-chart.js';
import { listCheckpoints } from './checkpoint.js';
import { formatDuration, num as formatNum } from '../util/format.js';
import { formatAgo, formatPercent } from './list.js';
import { formatOverlayJson, formatOverlayText, loadReports, overlayCsvRefusal } from './report-overlay.js';
import { findRun, readMetrics, readRunInfo, type RunInfo } from './run-dir.js';
import { charsetFor, forCharset } from '../util/output-style.js';
import { writeReportSvg } from './svg.js';
import { exportEvents } from './tensorboard.js';

/**
 * `resnet-tutor report <run>`: what a run was, how it went, and its curves, as text that fits the
 * terminal; or its metrics as CSV or JSON for a notebook.
 */
export interface RunReport {
  readonly path: string;
  readonly info: RunInfo;
  readonly metrics: readonly MetricsLine[];
  /** Steps of the complete checkpoints, newest first. */
  readonly checkpoints: readonly number[];
}

/** Finds the run (a UserError names the run dir when it is unknown) and reads all it has. */
export function loadReport(root: string, name: string): RunReport {
  const path = findRun(root, name);
  return { path, info: readRunInfo(path), metrics: readMetrics(path), checkpoints: listCheckpoints(path) };
}

export interface TextOptions {
  /** Columns; no line is longer. */
  readonly width: number;
  /** Draw charts in colour. */
  readonly color?: boolean;
  /** Rows of each chart's plot area. @default 10 */
  readonly chartHeight?: number;
  /** For "5m ago" (tests pass a fixed time). */
  readonly now?: Date;
}

const KEY_WIDTH = 13;

export function formatReportText(r: RunReport, opts: TextOptions): string {
  const { info, metrics } = r;
  const width = opts.width;
  const now = opts.now ?? new Date();
  const c = info.config;
  const out: string[] = [];
  const field = (key: string, value: string) => out.push(...wrapValue(key, value, width));

  out.push(clip(`run ${info.id}: ${info.status}`, width), '');
  field('folder', resolve(r.path));
  const units = info.units ?? [];
  field('model', `${describeModel(c)}${units.length ? `, ${units.length} units (${abbreviateUnits(units)})` : ''}`);
  const limits = [c.trainLimit ? `${c.trainLimit} training` : '', c.valLimit ? `${c.valLimit} validation` : ''].filter(Boolean);
  field('data', `${c.dataset}${limits.length ? ` (first ${limits.join(' / ')} examples)` : ''}, batch ${c.batchSize}`);
  const opt = c.optimizer === 'momentum' ? `momentum ${c.momentum}` : c.optimizer;
  field('optimiser', `${opt}, lr ${c.lr} (${c.schedule} schedule), weight decay ${c.weightDecay}, seed ${c.seed}`);
  const total = info.totalSteps ?? c.steps;
  const epochs = info.stepsPerEpoch && total ? ` (${fixed(total / info.stepsPerEpoch, 2)} epochs of ${info.stepsPerEpoch} steps)` : '';
  field(
    'length',
    `${total ?? '?'} steps${epochs}; metrics every ${c.logEvery}, checkpoint every ${c.checkpointEvery || 'epoch'}, keep ${c.keep}`,
  );
  if (info.backend) {
    field('backend', `${info.backend.name} on ${info.backend.device}; GPU: ${info.backend.usingGpu ? 'yes' : 'no'}`);
    for (const w of info.backend.warnings ?? []) field('', `warning: ${w}`);
  } else {
    field('backend', 'not chosen yet (the run has not started training)');
  }
  const versions = Object.entries(info.versions ?? {}).map(([k, v]) => `${k} ${v}`);
  if (versions.length) field('versions', versions.join(', '));
  const took = (Date.parse(info.updated) - Date.parse(info.created)) / 1000;
  field('created', `${stamp(info.created)} (${formatAgo(info.created, now)})`);
  field('updated', `${stamp(info.updated)} (${formatAgo(info.updated, now)}), ${formatDuration(took)} after creation`);
  field('outcome', outcome(r));

  out.push('');
  const last = metrics[metrics.length - 1];
  if (!last) {
    field('metrics', 'none logged yet');
  } else {
    const lastVal = [...metrics].reverse().find((m) => m.valLoss !== undefined || m.valAccuracy !== undefined);
    const finals = [`step ${last.step}`, `epoch ${fixed(last.epoch, 2)}`, `loss ${num(last.loss)}`];
    if (last.accuracy !== undefined) finals.push(`acc ${formatPercent(last.accuracy)}`);
    if (lastVal) {
      if (lastVal.valLoss !== undefined) finals.push(`val loss ${num(lastVal.valLoss)}`);
      if (lastVal.valAccuracy !== undefined) finals.push(`val acc ${formatPercent(lastVal.valAccuracy)}`);
      if (lastVal !== last) finals.push(`(validation at step ${lastVal.step})`);
    }
    field('final', finals.join(', '));
    const best: string[] = [];
    const top = extremum(metrics, (m) => m.valAccuracy, 'max');
    if (top) best.push(`val acc ${formatPercent(top.value)} (step ${top.step})`);
    const lowVal = extremum(metrics, (m) => m.valLoss, 'min');
    if (lowVal) best.push(`val loss ${num(lowVal.value)} (step ${lowVal.step})`);
    const lowLoss = extremum(metrics, (m) => m.loss, 'min');
    if (lowLoss) best.push(`train loss ${num(lowLoss.value)} (step ${lowLoss.step})`);
    if (best.length) field('best', best.join(', '));
    const speeds = metrics.map((m) => m.samplesPerSecond).filter((v) => Number.isFinite(v) && v > 0);
    if (speeds.length)
      field(
        'speed',
        `median ${Math.round(median(speeds)).toLocaleString('en-US')} samples/s over ${speeds.length} metrics line${speeds.length === 1 ? '' : 's'}`,
      );
  }
  field(
    'checkpoints',
    r.checkpoints.length
      ? `${r.checkpoints.map((s) => `ckpt-${s}`).join(', ')} (newest first; \`resnet-tutor resume\` continues from step ${r.checkpoints[0]})`
      : 'none',
  );

  if (metrics.length > 0) {
    const chart = chartMaker(width, opts.color ? DEFAULT_COLORS : undefined, opts.chartHeight ?? 10);
    const steps: [string, string] = [`step ${metrics[0]!.step}`, `step ${last!.step}`];
    out.push('');
    const hasVal = metrics.some((m) => m.valLoss !== undefined);
    out.push(
      chart({
        title: hasVal ? 'Loss (training; validation held between evaluations)' : 'Training loss',
        series: hasVal ? [metrics.map((m) => m.loss), held(metrics, (m) => m.valLoss)] : [metrics.map((m) => m.loss)],
        labels: hasVal ? ['training loss', 'validation loss'] : ['training loss'],
        xRange: steps,
      }),
    );
    if (metrics.some((m) => m.accuracy !== undefined || m.valAccuracy !== undefined)) {
      const pct = (v: number | undefined) => (v === undefined ? undefined : v === null ? NaN : 100 * v);
      const hasValAcc = metrics.some((m) => m.valAccuracy !== undefined);
      out.push(
        chart({
          title: 'Accuracy (%)',
          series: hasValAcc
            ? [metrics.map((m) => pct(m.accuracy) ?? NaN), held(metrics, (m) => pct(m.valAccuracy))]
            : [metrics.map((m) => pct(m.accuracy) ?? NaN)],
          labels: hasValAcc ? ['training', 'validation'] : ['training'],
          xRange: steps,
        }),
      );
    }
    const unitCount = metrics.reduce((n, m) => Math.max(n, m.gradNorms?.length ?? 0), 0);
    if (unitCount > 0) {
      const picks = [...new Set([0, Math.floor((unitCount - 1) / 2), unitCount - 1])];
      out.push(
        chart({
          title: 'Gradient norm per unit (log scale)',
          series: picks.map((u) => metrics.map((m) => m.gradNorms?.[u] ?? NaN)),
          labels: picks.map((u) => unitName(units, u)),
          log: true,
          xRange: steps,
        }),
      );
    }
    const profiled = [...metrics].reverse().find((m) => (m.activationVariances?.length ?? 0) > 0);
    const first = metrics.find((m) => (m.activationVariances?.length ?? 0) > 0);
    if (profiled && first) {
      const n = profiled.activationVariances.length;
      const both = first !== profiled && first.activationVariances.length === n;
      out.push(
        chart({
          title: `Activation variance across depth at step ${profiled.step} (log scale)`,
          series: both ? [profiled.activationVariances, first.activationVariances] : [profiled.activationVariances],
          labels: both ? [`step ${profiled.step}`, `step ${first.step} (first logged)`] : [`step ${profiled.step}`],
          log: true,
          xRange: [`${unitName(units, 0)} (input side)`, `${unitName(units, n - 1)}`],
        }),
      );
    }
  }
  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}

function chartMaker(width: number, colors: readonly ChartColor[] | undefined, height: number) {
  return (o: { title: string; series: number[][]; labels: string[]; log?: boolean; xRange: [string, string] }) =>
    renderChart({ ...o, width, height, colors });
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

function outcome(r: RunReport): string {
  const { info } = r;
  const id = info.id;
  const total = info.totalSteps ?? info.config.steps ?? '?';
  const lastStep = Math.max(info.step ?? 0, r.metrics[r.metrics.length - 1]?.step ?? 0);
  switch (info.status) {
    case 'completed':
      return `completed at step ${info.step}/${total}.`;
    case 'diverged': {
      const d = info.divergence;
      const what = d
        ? `diverged at step ${d.step}: the ${d.what === 'loss' ? 'loss' : `${d.what} of unit ${d.where}`} became NaN or infinite`
        : (info.reason ?? 'diverged: values became NaN or infinite');
      return `${what}. Try a lower --lr, or --arch residual-bn (\`resnet-tutor learn 6\` explains why).`;
    }
    case 'interrupted':
      return `interrupted at step ${lastStep}/${total}${info.reason ? ` (${info.reason})` : ''}. Continue it with \`resnet-tutor resume ${id}\`.`;
    case 'failed':
      return `failed: ${info.reason ?? 'no reason recorded'}.`;
    case 'running':
      return `running at the last update, at step ${lastStep}/${total}. Follow it with \`resnet-tutor watch ${id}\`; if its process is gone, continue it with \`resnet-tutor resume ${id}\`.`;
    default:
      return String(info.status);
  }
}

function extremum(
  metrics: readonly MetricsLine[],
  pick: (m: MetricsLine) => number | undefined,
  kind: 'min' | 'max',
): { value: number; step: number } | null {
  let best: { value: number; step: number } | null = null;
  for (const m of metrics) {
    const v = pick(m);
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    if (!best || (kind === 'max' ? v > best.value : v < best.value)) best = { value: v, step: m.step };
  }
  return best;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function unitName(units: readonly string[], i: number): string {
  return units[i] ?? `unit${i}`;
}

/** "stem, block1 … block8, head" for long lists. */
function abbreviateUnits(units: readonly string[]): string {
  if (units.length <= 5) return units.join(', ');
  return `${units[0]}, ${units[1]} … ${units[units.length - 2]}, ${units[units.length - 1]}`;
}

function stamp(iso: string): string {
  return Number.isFinite(Date.parse(iso)) ? `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC` : String(iso);
}

const num = (x: number | null | undefined): string => formatNum(x ?? NaN);

function fixed(x: number, digits: number): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '?';
}

function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** "  key          value…" wrapped to `width`, continuation lines under the value. */
function wrapValue(key: string, value: string, width: number): string[] {
  const indent = ' '.repeat(2 + KEY_WIDTH);
  // A single word longer than the width (a deep folder path) is cut rather than overflowing.
  return wrapWords(value, width, `  ${key.padEnd(KEY_WIDTH - 1)} `, indent).map((l) => clip(l.trimEnd(), width));
}

const CSV_BASE = ['step', 'epoch', 'time', 'loss', 'accuracy', 'valLoss', 'valAccuracy', 'lr', 'samplesPerSecond'] as const;

/**
 * One header row and one row per metrics line, the run's id first (so the CSVs of several runs can
 * be concatenated and grouped by run). Per-unit arrays become gradNorm_<unit> and
 * actVar_<unit> columns named from run.json `units`. A value stored as null (NaN or Infinity in
 * the run) is written as NaN; a value the line does not have is left empty.
 */
export function formatReportCsv(r: RunReport): string {
  const units = r.info.units ?? [];
  const n = r.metrics.reduce((k, m) => Math.max(k, m.gradNorms?.length ?? 0, m.activationVariances?.length ?? 0), units.length);
  const names = Array.from({ length: n }, (_, i) => unitName(units, i));
  const header = ['run', ...CSV_BASE, ...names.map((u) => `gradNorm_${u}`), ...names.map((u) => `actVar_${u}`)];
  const rows = [header.map(csvCell).join(',')];
  for (const m of r.metrics) {
    const rec = m as unknown as Record<string, unknown>;
    const cells = [
      r.info.id,
      ...CSV_BASE.map((k) => rec[k]),
      ...names.map((_, i) => (m.gradNorms ? (i < m.gradNorms.length ? m.gradNorms[i] : undefined) : undefined)),
      ...names.map((_, i) =>
        m.activationVariances ? (i < m.activationVariances.length ? m.activationVariances[i] : undefined) : undefined,
      ),
    ];
    rows.push(cells.map(csvValue).join(','));
  }
  return `${rows.join('\n')}\n`;
}

function csvValue(v: unknown): string {
  if (v === undefined) return '';
  if (v === null) return 'NaN';
  if (typeof v === 'number') return String(v);
  return csvCell(String(v));
}

function csvCell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** `report --json`: the run.json object and every metrics line. */
export function formatReportJson(r: RunReport): string {
  return `${JSON.stringify({ run: r.info, metrics: r.metrics })}\n`;
}

/** Everything `report` prints, chosen by the flags. */
export function renderReport(
  root: string,
  name: string,
  opts: { format: 'text' | 'csv' | 'json'; width: number; color?: boolean },
): string {
  // `report a,b`: several existing runs overlaid (report-overlay.ts).
  if (name.includes(',')) {
    if (opts.format === 'csv') throw overlayCsvRefusal(name);
    const all = loadReports(root, name);
    if (all.length > 1) {
      if (opts.format === 'json') return formatOverlayJson(all);
      const text = formatOverlayText(all, { width: opts.width, color: colorEnabled(process.stdout, process.env, opts.color) });
      return forCharset(text, charsetFor(), opts.width);
    }
    name = all[0]!.path; // one run named twice
  }
  const r = loadReport(root, name);
  if (opts.format === 'csv') return formatReportCsv(r);
  if (opts.format === 'json') return formatReportJson(r);
  const text = formatReportText(r, { width: opts.width, color: colorEnabled(process.stdout, process.env, opts.color) });
  return forCharset(text, charsetFor(), opts.width);
}

/**
 * `report --svg FILE` and `report --tensorboard DIR`: writes the files and returns what to print,
 * one line per file written.
 */
export function exportReport(root: string, name: string, opts: { svg?: string; tensorboard?: string }): string {
  const r = loadReport(root, name);
  const out: string[] = [];
  if (opts.svg !== undefined) {
    writeReportSvg(r, opts.svg);
    out.push(
      `wrote ${opts.svg}: loss${r.metrics.some((m) => m.accuracy !== undefined || m.valAccuracy !== undefined) ? ' and accuracy' : ''} of run ${r.info.id}, ${r.metrics.length} metrics lines`,
    );
  }
  if (opts.tensorboard !== undefined) {
    const file = exportEvents(opts.tensorboard, r.info, r.metrics);
    out.push(`wrote ${file}: ${r.metrics.length} steps of run ${r.info.id}; open it with \`tensorboard --logdir ${opts.tensorboard}\``);
  }
  return `${out.join('\n')}\n`;
}
