import { dirname } from 'node:path';
import { UserError } from '../util/errors.js';
import { describeModel } from '../contracts/train-config.js';
import type { MetricsLine } from '../contracts/run-folder.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { RunReport } from './report.js';
import { refuseSymlink } from './tensorboard.js';

/**
 * `report <run> --svg FILE`: the run's loss and accuracy curves as one self-contained SVG for a lab
 * report (no scripts, fonts or links to fetch): per chart a title, both axes with ticks and their
 * units, and a legend. Each series is a `<g class="series">` of polylines, broken where a value is
 * missing or not finite, so the picture never draws a line through a NaN.
 */

export interface SvgSeries {
  readonly label: string;
  /** [step, value] pairs; non-finite values break the line. */
  readonly points: readonly (readonly [number, number])[];
}

export interface SvgPanel {
  readonly title: string;
  readonly yLabel: string;
  readonly series: readonly SvgSeries[];
}

const WIDTH = 760;
const PANEL_HEIGHT = 320;
const MARGIN = { left: 72, right: 190, top: 40, bottom: 52 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];

/** The panels `report --svg` draws: loss always, accuracy when the run has it. */
export function reportPanels(metrics: readonly MetricsLine[]): SvgPanel[] {
  const pick = (f: (m: MetricsLine) => number | null | undefined, scale = 1) =>
    metrics
      .filter((m) => f(m) !== undefined)
      .map((m): [number, number] => {
        const v = f(m);
        return [m.step, typeof v === 'number' ? v * scale : NaN];
      });
  const panels: SvgPanel[] = [];
  const loss: SvgSeries[] = [{ label: 'training loss', points: pick((m) => m.loss) }];
  if (metrics.some((m) => m.valLoss !== undefined)) loss.push({ label: 'validation loss', points: pick((m) => m.valLoss) });
  panels.push({ title: 'Loss', yLabel: 'cross-entropy loss (nats)', series: loss });
  if (metrics.some((m) => m.accuracy !== undefined || m.valAccuracy !== undefined)) {
    const acc: SvgSeries[] = [];
    if (metrics.some((m) => m.accuracy !== undefined)) acc.push({ label: 'training accuracy', points: pick((m) => m.accuracy, 100) });
    if (metrics.some((m) => m.valAccuracy !== undefined))
      acc.push({ label: 'validation accuracy', points: pick((m) => m.valAccuracy, 100) });
    panels.push({ title: 'Accuracy', yLabel: 'accuracy (%)', series: acc });
  }
  return panels;
}

/** The SVG document of `panels`, stacked, under a title line. */
export function renderSvg(title: string, subtitle: string, panels: readonly SvgPanel[]): string {
  const height = 56 + panels.length * PANEL_HEIGHT;
  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${MARGIN.left}" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`,
    `<text x="${MARGIN.left}" y="40" fill="#555555">${esc(subtitle)}</text>`,
  ];
  panels.forEach((p, i) => out.push(panel(p, 56 + i * PANEL_HEIGHT)));
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function panel(p: SvgPanel, top: number): string {
  const x0 = MARGIN.left;
  const x1 = WIDTH - MARGIN.right;
  const y0 = top + MARGIN.top;
  const y1 = top + PANEL_HEIGHT - MARGIN.bottom;
  const finite = p.series.flatMap((s) => s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)));
  const out: string[] = [`<g class="panel" data-title="${esc(p.title)}">`];
  out.push(`<text x="${x0}" y="${top + 24}" font-size="14" font-weight="bold">${esc(p.title)}</text>`);
  if (finite.length === 0) {
    out.push(`<text x="${x0}" y="${(y0 + y1) / 2}" fill="#555555">no finite values logged</text>`, '</g>');
    return out.join('\n');
  }
  const xs = ticks(Math.min(...finite.map(([x]) => x)), Math.max(...finite.map(([x]) => x)));
  const ys = ticks(Math.min(...finite.map(([, y]) => y)), Math.max(...finite.map(([, y]) => y)));
  const sx = (x: number) => x0 + ((x - xs.min) / (xs.max - xs.min)) * (x1 - x0);
  const sy = (y: number) => y1 - ((y - ys.min) / (ys.max - ys.min)) * (y1 - y0);
  out.push(`<rect x="${x0}" y="${y0}" width="${x1 - x0}" height="${y1 - y0}" fill="none" stroke="#333333"/>`);
  for (const t of ys.values) {
    const y = r(sy(t));
    out.push(`<line x1="${x0}" y1="${y}" x2="${x1}" y2="${y}" stroke="#e0e0e0"/>`);
    out.push(`<text x="${x0 - 6}" y="${y + 4}" text-anchor="end">${esc(tickLabel(t, ys.step))}</text>`);
  }
  for (const t of xs.values) {
    const x = r(sx(t));
    out.push(`<line x1="${x}" y1="${y1}" x2="${x}" y2="${y1 + 5}" stroke="#333333"/>`);
    out.push(`<text x="${x}" y="${y1 + 18}" text-anchor="middle">${esc(tickLabel(t, xs.step))}</text>`);
  }
  out.push(`<text x="${(x0 + x1) / 2}" y="${y1 + 40}" text-anchor="middle">training step</text>`);
  out.push(
    `<text x="${x0 - 52}" y="${(y0 + y1) / 2}" text-anchor="middle" transform="rotate(-90 ${x0 - 52} ${(y0 + y1) / 2})">${esc(p.yLabel)}</text>`,
  );
  p.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const n = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)).length;
    out.push(`<g class="series" data-label="${esc(s.label)}" data-points="${n}" fill="none" stroke="${color}" stroke-width="1.8">`);
    for (const seg of segments(s.points)) {
      const pts = seg.map(([x, y]) => `${r(sx(x))},${r(sy(y))}`).join(' ');
      // A lone point between gaps is drawn as a dot, so it is not lost.
      if (seg.length === 1) out.push(`<circle cx="${r(sx(seg[0]![0]))}" cy="${r(sy(seg[0]![1]))}" r="2" fill="${color}"/>`);
      else out.push(`<polyline points="${pts}"/>`);
    }
    out.push('</g>');
    const ly = y0 + 8 + i * 20;
    out.push(`<line x1="${x1 + 16}" y1="${ly}" x2="${x1 + 40}" y2="${ly}" stroke="${color}" stroke-width="2.5"/>`);
    out.push(`<text x="${x1 + 46}" y="${ly + 4}">${esc(s.label)}</text>`);
  });
  out.push('</g>');
  return out.join('\n');
}

/** Runs of consecutive finite points. */
function segments(points: readonly (readonly [number, number])[]): (readonly [number, number])[][] {
  const out: (readonly [number, number])[][] = [];
  let cur: (readonly [number, number])[] = [];
  for (const pt of points) {
    if (Number.isFinite(pt[0]) && Number.isFinite(pt[1])) cur.push(pt);
    else if (cur.length) {
      out.push(cur);
      cur = [];
    }
  }
  if (cur.length) out.push(cur);
  return out;
}

/** Round 1-2-5 ticks covering [lo, hi] (a flat series gets a small range around its value). */
function ticks(lo: number, hi: number): { min: number; max: number; step: number; values: number[] } {
  if (hi - lo < 1e-12 * Math.max(1, Math.abs(hi))) {
    const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const min = Math.floor(lo / step) * step;
  const max = Math.ceil(hi / step) * step;
  const values: number[] = [];
  for (let v = min; v <= max + step / 2; v += step) values.push(Number(v.toPrecision(12)));
  return { min, max, step, values };
}

function tickLabel(v: number, step: number): string {
  if (Math.abs(v) >= 1e5 || (step < 1e-3 && v !== 0)) return v.toExponential(1);
  const digits = Math.max(0, -Math.floor(Math.log10(step)));
  return v.toFixed(digits);
}

function r(x: number): number {
  return Math.round(x * 10) / 10;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Writes the report's SVG to `file` atomically; never through a symbolic link. */
export function writeReportSvg(r: RunReport, file: string): void {
  refuseSymlink(file, '--svg');
  const c = r.info.config;
  const subtitle = `${describeModel(c)}; ${c.dataset}, batch ${c.batchSize}, lr ${c.lr}; ${r.info.status} at step ${r.info.step}`;
  const svg = renderSvg(`run ${r.info.id}`, subtitle, reportPanels(r.metrics));
  try {
    writeFileAtomic(file, svg);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(
      `--svg: cannot write ${file} (${code === 'ENOENT' ? `the folder ${dirname(file)} does not exist` : code === 'EISDIR' ? 'it is a folder' : (code ?? (err as Error).message)}). Give a file path in a writable folder.`,
    );
  }
}
