import type { MetricsLine } from '../contracts/run-folder.js';
import type { BackendSummary } from '../contracts/run-folder.js';
import { formatDuration, num } from '../util/format.js';

/**
 * Plain progress lines for logs (nohup, Slurm, a pipe): one line per metrics interval, no carriage
 * returns or escape codes, so a log of a long run stays small and greps well.
 */
export function formatMetricsLine(line: MetricsLine, totalSteps: number, batchSize: number): string {
  const width = String(totalSteps).length;
  const parts = [`step ${String(line.step).padStart(width)}/${totalSteps}`, `epoch ${line.epoch.toFixed(2)}`, `loss ${fmt(line.loss)}`];
  if (line.accuracy !== undefined) parts.push(`acc ${(100 * line.accuracy).toFixed(1)}%`);
  if (line.valLoss !== undefined) parts.push(`val_loss ${fmt(line.valLoss)}`);
  if (line.valAccuracy !== undefined) parts.push(`val_acc ${(100 * line.valAccuracy).toFixed(1)}%`);
  parts.push(`lr ${line.lr.toPrecision(3)}`);
  parts.push(`${Math.round(line.samplesPerSecond)} samples/s`);
  const remaining = totalSteps - line.step;
  if (remaining > 0 && line.samplesPerSecond > 0) parts.push(`ETA ${formatDuration((remaining * batchSize) / line.samplesPerSecond)}`);
  return parts.join('  ');
}

export function formatBackend(b: BackendSummary): string[] {
  const out = [`backend ${b.name}: computing on ${b.device}`];
  const skipped = b.attempts.filter((a) => !a.ok);
  for (const a of skipped) out.push(`  skipped ${a.name}: ${a.reason ?? 'failed'}${a.fix ? ` (fix: ${a.fix})` : ''}`);
  for (const w of b.warnings) out.push(`  warning: ${w}`);
  return out;
}

const fmt = (x: number): string => num(x, 4, 3);
