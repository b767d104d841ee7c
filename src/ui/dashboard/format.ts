/** The dashboard's own figures from a run's lines (numbers, durations and text clipping: src/util/format.ts). */
import type { RunView } from './state.js';

export function pct(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? '-' : `${(100 * x).toFixed(1)}%`;
}

/** Newest validation numbers of a run (validation is logged per epoch, not every line). */
export function lastVal(r: RunView): { valLoss?: number; valAccuracy?: number } {
  for (let i = r.lines.length - 1; i >= 0; i--) {
    const l = r.lines[i];
    if (l?.valLoss !== undefined) return { valLoss: l.valLoss, valAccuracy: l.valAccuracy };
  }
  return {};
}

/** Seconds left at the newest speed; NaN when unknown. */
export function eta(r: RunView): number {
  const last = r.lines[r.lines.length - 1];
  if (!r.progress || !last || last.samplesPerSecond <= 0) return NaN;
  return ((r.progress.totalSteps - r.progress.step) * r.batchSize) / last.samplesPerSecond;
}
