import { Text } from 'ink';
import { renderChart, DEFAULT_COLORS } from '../../render/text-chart.js';
import { toAscii } from '../terminal.js';
import type { ChartSpec } from './series.js';

export type Props = {
  /** What to draw (from series.ts). */
  readonly spec: ChartSpec;
  /** Columns the chart may use; no line is longer. */
  readonly width: number;
  /** Lines the whole chart may use, title and legend included. */
  readonly lines: number;
  readonly color: boolean;
  readonly unicode: boolean;
};

/** One asciichart line chart, sized to fit its box exactly. */
export function ChartText({ spec, width, lines, color, unicode }: Props) {
  // Title, x-range and one legend line surround the plot.
  const height = Math.max(2, lines - (spec.xRange ? 3 : 2));
  let text = renderChart({
    series: spec.series,
    labels: spec.labels,
    title: spec.title,
    height,
    width,
    log: spec.log,
    ...(spec.xRange ? { xRange: spec.xRange } : {}),
    // i % length is an index of the (non-empty) palette.
    ...(color ? { colors: spec.colorIndex.map((i) => DEFAULT_COLORS[i % DEFAULT_COLORS.length]!) } : {}),
  }).trimEnd();
  // A legend too long for one line wraps; keep the box to its budget so the screen never scrolls.
  text = text.split('\n').slice(0, lines).join('\n');
  return <Text>{unicode ? text : toAscii(text)}</Text>;
}
