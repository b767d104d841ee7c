import type { MetricsLine } from '../contracts/run-folder.js';
import { colorEnabled } from '../render/text-chart.js';
import { listCheckpoints } from './checkpoint.js';
import { formatOverlayJson, formatOverlayText, loadReports, overlayCsvRefusal } from './report-overlay.js';
import { formatReportText } from './report/text.js';
import { unitName } from './report/units.js';
import { findRun, readMetrics, readRunInfo, type RunInfo } from './run-dir.js';
import { charsetFor, forCharset } from '../util/output-style.js';
import { writeReportSvg } from './svg.js';
import { exportEvents } from './tensorboard.js';

/**
 * `resnet-tutor report <run>`: what a run was, how it went, and its curves, as text that fits the
 * terminal (report/text.ts and the sections beside it); or its metrics as CSV or JSON for a notebook.
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
