import { wrapWords } from '../../util/wrap.js';
import type { RunView } from './state.js';

/** Small text helpers shared by the dashboard's components (numbers and durations: src/util/format.ts). */
export { formatClock as formatDuration, num } from '../../util/format.js';

export function pct(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? '-' : `${(100 * x).toFixed(1)}%`;
}

/** Newest validation numbers of a run (validation is logged per epoch, not every line). */
export function lastVal(r: RunView): { valLoss?: number; valAccuracy?: number } {
  for (let i = r.lines.length - 1; i >= 0; i--) {
    const l = r.lines[i];
    if (l.valLoss !== undefined) return { valLoss: l.valLoss, valAccuracy: l.valAccuracy };
  }
  return {};
}

export function eta(r: RunView): number {
  const last = r.lines[r.lines.length - 1];
  if (!r.progress || !last || last.samplesPerSecond <= 0) return NaN;
  return ((r.progress.totalSteps - r.progress.step) * r.batchSize) / last.samplesPerSecond;
}

export function clipText(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/** Word-wraps to `width` columns (long words are cut). */
export function wrapText(text: string, width: number): string[] {
  // Leading spaces (an indented option, a bullet) are kept on the first line.
  const lead = /^\s*/.exec(text)?.[0] ?? '';
  return wrapWords(text, width, lead).map((l) => l.slice(0, width));
}
