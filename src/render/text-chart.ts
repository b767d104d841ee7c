import { createRequire } from 'node:module';
import { colorAllowed } from '../util/output-style.js';
import { countNonFinite, extent, fit, formatTick, sanitize, toLog10 } from './chart-data.js';

/**
 * Line charts as plain text, drawn with asciichart: a title, the plot with y-axis labels, an optional
 * x-range line, and a legend. Used by `report` and, later, the live dashboard. Without colours every
 * series gets its own line character, so the chart still reads in a log file or with NO_COLOR.
 */

/** The part of asciichart used here (asciichart ships no types; @types/asciichart is not a dependency). */
interface AsciiChart {
  plot(
    series: readonly (readonly number[])[],
    cfg: {
      min: number;
      max: number;
      height: number;
      offset: number;
      format: (x: number) => string;
      symbols?: readonly string[];
    },
  ): string;
}
const asciichart = createRequire(import.meta.url)('asciichart') as AsciiChart;

/** Colours a series can be drawn in (ANSI, as asciichart names them). */
export const ANSI_COLORS = {
  cyan: '\x1b[36m',
  magenta: '\x1b[35m',
  yellow: '\x1b[33m',
  green: '\x1b[32m',
  blue: '\x1b[34m',
  red: '\x1b[31m',
  lightgray: '\x1b[37m',
} as const;
export type ChartColor = keyof typeof ANSI_COLORS;
const RESET = '\x1b[0m';

/** The order series are coloured in when the caller just wants colour. */
export const DEFAULT_COLORS: readonly ChartColor[] = ['cyan', 'magenta', 'yellow', 'green', 'blue', 'red'];

/** Line characters per series without colour: box drawing for the first, then dots, pluses, ... */
const PLAIN_MARKS = ['─', '·', '+', 'x', 'o', '*'] as const;
// asciichart marks its y = 0 row with the first symbol, but on a mirrored row: keep the axis plain.
const BOX_SYMBOLS = ['┤', '┤', '╶', '╴', '─', '╰', '╭', '╮', '╯', '│'] as const;

export type ChartOptions = {
  /** One array of y values per series; each is spread over the full plot width. */
  readonly series: readonly (readonly number[])[];
  /** Legend entry for each series, in the same order. */
  readonly labels: readonly string[];
  /** Printed on the first line. */
  readonly title: string;
  /** Rows of the plot area (the whole chart adds title, legend and x-range lines). @default 10 */
  readonly height?: number;
  /** Columns of the whole chart: no line is longer. @default 80 */
  readonly width?: number;
  /** Plot log10 of the values (values <= 0 sit at the floor) with labels like "1e-2". @default false */
  readonly log?: boolean;
  /** One colour per series; when absent or empty the chart is plain text. */
  readonly colors?: readonly ChartColor[];
  /** What the left and right ends of the x axis stand for, e.g. ["step 10", "step 500"]. */
  readonly xRange?: readonly [string, string];
};

/**
 * Whether output to `stream` may use ANSI colours: the one policy of every command (output-style:
 * --no-color, FORCE_COLOR, NO_COLOR, and none in a pipe or a log file under nohup or Slurm).
 */
export function colorEnabled(
  stream: { readonly isTTY?: boolean } = process.stdout,
  env: Readonly<Record<string, string | undefined>> = process.env,
  flag?: boolean,
): boolean {
  return colorAllowed(stream, env, flag);
}

/**
 * Draws the chart. Non-finite values never throw: they are held at the previous value and counted
 * in a note under the chart. Leading ones (a series that starts later, such as validation) take
 * the first value without a note. Series with no finite value are listed as "no data".
 */
export function renderChart(opts: ChartOptions): string {
  const height = Math.max(2, Math.round(opts.height ?? 10));
  const width = Math.max(20, Math.floor(opts.width ?? 80));
  const log = opts.log ?? false;
  const colors = opts.colors && opts.colors.length > 0 ? opts.colors : null;
  const lines: string[] = [clip(opts.title, width)];

  const cleaned = opts.series.map((s) => sanitize(log ? toLog10(s) : s));
  const replaced = opts.series.reduce((n, s) => n + countHeld(log ? toLog10(s) : s), 0);
  const drawn = cleaned.map((s, i) => ({ s, i })).filter(({ s }) => s.length > 0);
  if (drawn.length === 0) {
    lines.push('  (no data yet)');
    return `${lines.join('\n')}\n`;
  }

  // The y range is that of the points drawn (bucket means of a long series, not its raw extremes),
  // and the columns left for points depend on the widest axis label: settle both together.
  const rows = height - 1;
  let labelWidth = 3;
  let points = 0;
  let fitted: number[][] = [];
  let min = 0;
  let max = 0;
  for (let pass = 0; pass < 4; pass++) {
    points = width - (labelWidth + 2) + 1; // asciichart draws the first point on the axis
    fitted = drawn.map(({ s }) => fit(s, points));
    ({ min, max } = paddedExtent(fitted, log));
    const needed = Math.max(3, ...axisValues(min, max, rows).map((v) => formatTick(v, log).length));
    if (needed <= labelWidth) break;
    labelWidth = needed;
  }
  const offset = labelWidth + 2; // label, a space, the axis
  const format = (x: number) => formatTick(x, log).padStart(labelWidth);

  // Plot each series alone with its own line characters, then lay the grids over each other; the
  // first series stays on top where they cross.
  const grids = drawn.map(({ i }, g) =>
    asciichart
      .plot([fitted[g]!], {
        min,
        max,
        height: rows,
        offset: 3, // with labels at least 3 wide: "<label> <axis><points>"
        format,
        symbols: colors ? BOX_SYMBOLS : symbolsFor(i),
      })
      .split('\n'),
  );
  const base = grids[0]!;
  for (let r = 0; r < base.length; r++) {
    const head = base[r]!.slice(0, offset);
    // Runs of cells of one series, so a coloured line costs one escape sequence per run.
    const runs: { text: string; owner: number }[] = [];
    for (let c = 0; c < points - 1; c++) {
      let ch = ' ';
      let owner = -1;
      for (let g = 0; g < grids.length; g++) {
        const cell = grids[g]![r]?.[offset + c] ?? ' ';
        if (cell !== ' ') {
          ch = cell;
          owner = drawn[g]!.i;
          break;
        }
      }
      const prev = runs[runs.length - 1];
      if (prev && prev.owner === owner) prev.text += ch;
      else runs.push({ text: ch, owner });
    }
    const body = runs.map((run) => (colors && run.owner >= 0 ? paint(run.text, colors[run.owner % colors.length]!) : run.text)).join('');
    lines.push(`${head}${body}`.trimEnd());
  }

  if (opts.xRange) {
    const [left, right] = opts.xRange;
    const gap = width - (offset - 1) - left.length - right.length;
    const pad = ' '.repeat(offset - 1);
    lines.push(gap >= 1 ? `${pad}${left}${' '.repeat(gap)}${right}` : clip(`${pad}${left} … ${right}`, width));
  }

  const legend = opts.series.map((_, i) => {
    const room = width - (offset - 1) - 3 - (cleaned[i]!.length === 0 ? 10 : 0);
    const label = clip(opts.labels[i] ?? `series ${i + 1}`, Math.max(1, room));
    const mark = colors ? paint('──', colors[i % colors.length]!) : PLAIN_MARKS[i % PLAIN_MARKS.length]!.repeat(2);
    return cleaned[i]!.length === 0 ? `${mark} ${label} (no data)` : `${mark} ${label}`;
  });
  lines.push(...pack(legend, width, ' '.repeat(offset - 1)));
  if (replaced > 0) {
    const note = `(${replaced} non-finite value${replaced === 1 ? '' : 's'} drawn at the previous value)`;
    lines.push(...pack(note.split(' '), width, ' '.repeat(offset - 1), ' '));
  }
  return `${lines.join('\n')}\n`;
}

/** The y values asciichart labels, computed as it does, to size the label column. */
function axisValues(min: number, max: number, height: number): number[] {
  const range = max - min;
  const ratio = height / range;
  const rows = Math.abs(Math.round(max * ratio) - Math.round(min * ratio));
  if (rows === 0) return [min, max];
  return Array.from({ length: rows + 1 }, (_, k) => max - (k * range) / rows);
}

/** Non-finite values after the first finite one: the ones `sanitize` holds at a previous value. */
function countHeld(series: readonly number[]): number {
  const first = series.findIndex((v) => Number.isFinite(v));
  return first < 0 ? 0 : countNonFinite(series.slice(first));
}

/** The range of the drawn points, widened when flat so asciichart does not collapse to one row. */
function paddedExtent(series: readonly (readonly number[])[], log: boolean): { min: number; max: number } {
  let { min, max } = extent(series) ?? { min: 0, max: 0 };
  if (max - min < 1e-12 * Math.max(1, Math.abs(max))) {
    const pad = log ? 0.5 : Math.abs(max) > 0 ? Math.abs(max) * 0.1 : 1;
    min -= pad;
    max += pad;
  }
  return { min, max };
}

function symbolsFor(index: number): readonly string[] {
  const mark = PLAIN_MARKS[index % PLAIN_MARKS.length]!;
  if (index % PLAIN_MARKS.length === 0) return BOX_SYMBOLS;
  return [BOX_SYMBOLS[0], BOX_SYMBOLS[1], BOX_SYMBOLS[2], BOX_SYMBOLS[3], mark, mark, mark, mark, mark, mark];
}

function paint(text: string, color: ChartColor): string {
  return `${ANSI_COLORS[color]}${text}${RESET}`;
}

/** Visible length (without ANSI codes). */
export function visibleLength(text: string): number {
  return text.replace(/\x1b\[[0-9;]*m/g, '').length;
}

function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** Legend items (or words) on as few lines as fit the width. */
function pack(items: readonly string[], width: number, indent: string, separator = '   '): string[] {
  const out: string[] = [];
  let line = indent;
  let len = indent.length;
  for (const item of items) {
    const n = visibleLength(item);
    if (len > indent.length && len + separator.length + n > width) {
      out.push(line);
      line = indent;
      len = indent.length;
    }
    const sep = len > indent.length ? separator : '';
    line += sep + item;
    len += sep.length + n;
  }
  out.push(line);
  return out;
}
