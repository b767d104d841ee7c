import type { MetricsLine } from '../../contracts/run-folder.js';
import { formatPercent } from '../list.js';
import { fixed, num, type Field } from './fields.js';

/** The second block of the text report: the final and best numbers, the speed and the checkpoints. */
export function results(metrics: readonly MetricsLine[], checkpoints: readonly number[]): Field[] {
  const last = metrics[metrics.length - 1];
  const numbers: Field[] = last
    ? [finalFact(metrics, last), ...bestFact(metrics), ...speedFact(metrics)]
    : [['metrics', 'none logged yet']];
  return [...numbers, checkpointsFact(checkpoints)];
}

/** The last line's numbers, with those of the last evaluation (which may be an earlier line). */
function finalFact(metrics: readonly MetricsLine[], last: MetricsLine): Field {
  const lastVal = [...metrics].reverse().find((m) => m.valLoss !== undefined || m.valAccuracy !== undefined);
  const finals = [`step ${last.step}`, `epoch ${fixed(last.epoch, 2)}`, `loss ${num(last.loss)}`];
  if (last.accuracy !== undefined) finals.push(`acc ${formatPercent(last.accuracy)}`);
  if (lastVal) {
    if (lastVal.valLoss !== undefined) finals.push(`val loss ${num(lastVal.valLoss)}`);
    if (lastVal.valAccuracy !== undefined) finals.push(`val acc ${formatPercent(lastVal.valAccuracy)}`);
    if (lastVal !== last) finals.push(`(validation at step ${lastVal.step})`);
  }
  return ['final', finals.join(', ')];
}

function bestFact(metrics: readonly MetricsLine[]): Field[] {
  const best: string[] = [];
  const top = extremum(metrics, (m) => m.valAccuracy, 'max');
  if (top) best.push(`val acc ${formatPercent(top.value)} (step ${top.step})`);
  const lowVal = extremum(metrics, (m) => m.valLoss, 'min');
  if (lowVal) best.push(`val loss ${num(lowVal.value)} (step ${lowVal.step})`);
  const lowLoss = extremum(metrics, (m) => m.loss, 'min');
  if (lowLoss) best.push(`train loss ${num(lowLoss.value)} (step ${lowLoss.step})`);
  return best.length ? [['best', best.join(', ')]] : [];
}

function speedFact(metrics: readonly MetricsLine[]): Field[] {
  const speeds = metrics.map((m) => m.samplesPerSecond).filter((v) => Number.isFinite(v) && v > 0);
  if (!speeds.length) return [];
  return [
    [
      'speed',
      `median ${Math.round(median(speeds)).toLocaleString('en-US')} samples/s over ${speeds.length} metrics line${speeds.length === 1 ? '' : 's'}`,
    ],
  ];
}

function checkpointsFact(checkpoints: readonly number[]): Field {
  return [
    'checkpoints',
    checkpoints.length
      ? `${checkpoints.map((s) => `ckpt-${s}`).join(', ')} (newest first; \`resnet-tutor resume\` continues from step ${checkpoints[0]})`
      : 'none',
  ];
}

/** The lowest or highest finite value and its step; null when no line has one. */
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
