import { Text } from 'ink';
import { formatClock, num } from '../../util/format.js';
import { eta, pct } from './format.js';
import type { RunView } from './state.js';

export type Props = {
  readonly run: RunView;
  readonly width: number;
  readonly elapsedSeconds: number;
  readonly unicode: boolean;
};

/** Step and epoch with a progress bar, loss, samples/s, elapsed and ETA. */
export function ProgressLine({ run, width, elapsedSeconds, unicode }: Props) {
  const p = run.progress;
  const last = run.lines[run.lines.length - 1];
  const step = p?.step ?? 0;
  const total = p?.totalSteps ?? 0;
  const fraction = total > 0 ? Math.min(1, step / total) : 0;
  const stats = [
    `${step}/${total || '?'}`,
    `ep ${(p?.epoch ?? 0).toFixed(2)}`,
    `loss ${num(last?.loss, 3)}`,
    ...(last?.accuracy !== undefined ? [`acc ${pct(last.accuracy)}`] : []),
    `${last ? Math.round(last.samplesPerSecond) : 0}/s`,
    formatClock(elapsedSeconds),
    `ETA ${formatClock(eta(run))}`,
  ].join(' ');
  const barWidth = Math.max(4, Math.min(30, width - stats.length - 3));
  const filled = Math.round(fraction * barWidth);
  const bar = unicode ? `${'█'.repeat(filled)}${'░'.repeat(barWidth - filled)}` : `${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}`;
  const line = `${bar} ${stats}`;
  return <Text>{line.length > width ? line.slice(0, width) : line}</Text>;
}
