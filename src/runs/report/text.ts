import type { RunReport } from '../report.js';
import { chartLines } from './charts.js';
import { clip, fieldLines } from './fields.js';
import { results } from './results.js';
import { runFacts } from './run-facts.js';

export interface TextOptions {
  /** Columns; no line is longer. */
  readonly width: number;
  /** Draw charts in colour. */
  readonly color?: boolean;
  /** Rows of each chart's plot area. @default 10 */
  readonly chartHeight?: number;
  /** For "5m ago" (tests pass a fixed time). */
  readonly now?: Date;
}

/** `report <run>` as text: a title line, the run's facts, its results, then its charts. */
export function formatReportText(r: RunReport, opts: TextOptions): string {
  const out = [
    clip(`run ${r.info.id}: ${r.info.status}`, opts.width),
    '',
    ...fieldLines(runFacts(r, opts.now ?? new Date()), opts.width),
    '',
    ...fieldLines(results(r.metrics, r.checkpoints), opts.width),
    ...chartLines(r.metrics, r.info.units ?? [], opts),
  ];
  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}
