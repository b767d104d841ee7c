import { wrapWords } from '../../util/wrap.js';
import { num as formatNum } from '../../util/format.js';

/** One "key  value" line of the text report before wrapping; an empty key continues the one above. */
export type Field = readonly [key: string, value: string];

const KEY_WIDTH = 13;

/** Each field wrapped to `width`. */
export function fieldLines(fields: readonly Field[], width: number): string[] {
  return fields.flatMap(([key, value]) => wrapValue(key, value, width));
}

/** "  key          value…" wrapped to `width`, continuation lines under the value. */
function wrapValue(key: string, value: string, width: number): string[] {
  const indent = ' '.repeat(2 + KEY_WIDTH);
  // A single word longer than the width (a deep folder path) is cut rather than overflowing.
  return wrapWords(value, width, `  ${key.padEnd(KEY_WIDTH - 1)} `, indent).map((l) => clip(l.trimEnd(), width));
}

export function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** A metric value; one stored as null (NaN or Infinity in the run) reads as NaN. */
export const num = (x: number | null | undefined): string => formatNum(x ?? NaN);

export function fixed(x: number, digits: number): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '?';
}
