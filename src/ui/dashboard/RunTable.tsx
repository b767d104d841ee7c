import { Text } from 'ink';
import { DEFAULT_COLORS } from '../../render/text-chart.js';
import { formatClock, num } from '../../util/format.js';
import { eta, lastVal, pct } from './format.js';
import type { RunView } from './state.js';

export type Props = {
  readonly runs: readonly RunView[];
  readonly width: number;
  readonly color: boolean;
};

/** The compared runs' current numbers, one row each, in their chart colours. */
export function RunTable({ runs, width, color }: Props) {
  const labelWidth = Math.min(18, Math.max(5, ...runs.map((r) => r.label.length)));
  const head = `${'run'.padEnd(labelWidth)}  ${'step'.padStart(11)}  ${'loss'.padStart(7)}  ${'acc'.padStart(6)}  ${'val acc'.padStart(7)}  ${'/s'.padStart(5)}  ${'ETA'.padStart(7)}  status`;
  return (
    <>
      <Text dimColor>{head.slice(0, width)}</Text>
      {runs.map((r, i) => {
        const last = r.lines[r.lines.length - 1];
        const step = `${r.progress?.step ?? 0}/${r.progress?.totalSteps ?? '?'}`;
        const row = `${r.label.slice(0, labelWidth).padEnd(labelWidth)}  ${step.padStart(11)}  ${num(last?.loss, 3).padStart(7)}  ${pct(last?.accuracy).padStart(6)}  ${pct(lastVal(r).valAccuracy).padStart(7)}  ${String(last ? Math.round(last.samplesPerSecond) : 0).padStart(5)}  ${formatClock(eta(r)).padStart(7)}  ${r.status}`;
        return (
          <Text key={r.id} color={color ? DEFAULT_COLORS[i % DEFAULT_COLORS.length] : undefined}>
            {row.slice(0, width)}
          </Text>
        );
      })}
    </>
  );
}
