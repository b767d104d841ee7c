/**
 * Draws a chart step's data (chart-model.ts) in a box of `width` x `lines`: the title, the plot, the
 * x range, a line naming both axes, and a legend entry for every series. The plot shrinks to leave
 * the legend whole; without colour each series has its own mark, and the legend shows it.
 */
import { fit, sanitize } from '../../render/chart-data.js';
import { DEFAULT_COLORS, renderChart } from '../../render/text-chart.js';
import { asciiText } from './fit.js';
import type { ChartData, StripChart } from './chart-model.js';

export type ChartLook = {
  /** ANSI colours for the series (their legend marks are coloured too). */
  readonly color: boolean;
  /** Box-drawing and block glyphs; ASCII look-alikes when false. */
  readonly unicode: boolean;
};

/** The fewest lines a chart needs to draw anything; below it, only its title and a note. */
export const MIN_CHART_LINES = 6;

export function chartLines(data: ChartData, width: number, lines: number, look: ChartLook): string[] {
  const out = data.kind === 'strips' ? stripLines(data, width, lines, look) : lineChartLines(data, width, lines, look);
  // A clipped label's `…` becomes one ASCII character, not three: the line keeps its width.
  if (look.unicode) return out;
  return out.map((l) => {
    const ascii = asciiText(l.replace(/…/g, '~'));
    // A label whose ² became ^2 may have grown past the edge (lines with colour codes hold none).
    return ascii.length > width && !ascii.includes('\u001b') ? `${ascii.slice(0, width - 1)}~` : ascii;
  });
}

/** The chart's first line: what each axis stands for (the step's title names the chart). */
function axesText(x: string, y: string): string {
  return `y: ${y} · x: ${x}`;
}

function lineChartLines(data: Extract<ChartData, { kind: 'lines' }>, width: number, lines: number, look: ChartLook): string[] {
  const draw = (height: number) =>
    renderChart({
      title: axesText(data.x, data.y),
      series: data.series.map((s) => s.values),
      labels: data.series.map((s) => s.label),
      log: data.log,
      height,
      width,
      xRange: [data.xRange[0], data.xRange[1]],
      ...(look.color ? { colors: DEFAULT_COLORS } : {}),
    })
      .trimEnd()
      .split('\n');
  // Plot rows are whatever the axes line, x range and legend leave; the legend never gets cut.
  let height = 2;
  let chart = draw(height);
  const spare = lines - chart.length;
  if (spare > 0) {
    height += spare;
    chart = draw(height);
    while (chart.length > lines && height > 2) chart = draw(--height);
  }
  return chart;
}

const BARS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
const ASCII_BARS = ['_', '.', '-', '-', '=', '=', '#', '#'];

/**
 * One strip per series: a bar per column (height = value, lowest to highest of all strips), with
 * the series label in front (or above, when there is room), then the x range. Reads without colour.
 */
function stripLines(data: StripChart, width: number, lines: number, look: ChartLook): string[] {
  const n = data.strips.length;
  const bars = look.unicode ? BARS : ASCII_BARS;
  // Roomy: a label line above each strip of up to 3 rows; tight: the label in front, one row.
  const roomy = lines >= 2 + n * 2;
  const rows = roomy ? Math.max(1, Math.min(3, Math.floor((lines - 2) / n) - 1)) : 1;
  const labelWidth = roomy ? 0 : Math.min(Math.floor(width / 2), Math.max(...data.strips.map((s) => s.label.length + s.note.length + 1)));
  const indent = roomy ? 2 : labelWidth + 1;
  const cols = Math.max(8, width - indent);
  const fitted = data.strips.map((s) => fit(sanitize(s.values), cols));
  const all = fitted.flat();
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const clip = (t: string, w: number) => (t.length <= w ? t : `${t.slice(0, Math.max(0, w - 1))}…`);
  const out: string[] = [clip(axesText(data.x, data.y), width)];
  for (const [i, s] of data.strips.entries()) {
    const head = roomy ? `${s.label} (${s.note})` : `${s.label} ${s.note}`;
    if (roomy) out.push(clip(head, width));
    const levels = fitted[i]!.map((v) => (hi > lo ? ((v - lo) / (hi - lo)) * rows * bars.length : 0));
    for (let r = rows - 1; r >= 0; r--) {
      const row = levels
        .map((level) => {
          const inRow = level - r * bars.length;
          if (inRow <= 0) return r === 0 ? bars[0]! : ' ';
          return bars[Math.min(bars.length - 1, Math.ceil(inRow) - 1)]!;
        })
        .join('');
      const lead = roomy ? '  ' : `${clip(head, labelWidth).padEnd(labelWidth)} `;
      out.push(`${r === rows - 1 || roomy ? lead : ' '.repeat(indent)}${row}`.trimEnd());
    }
  }
  const [left, right] = data.xRange;
  const gap = width - indent - left.length - right.length;
  out.push(gap >= 1 ? `${' '.repeat(indent)}${left}${' '.repeat(gap)}${right}` : clip(`${left} - ${right}`, width));
  return out;
}
