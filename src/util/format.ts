/**
 * Number, duration and table formatting for every text the program prints (headless lines, the
 * dashboard, reports, probe results, doctor). Pure string functions with no imports beyond the
 * word wrapper, so every layer may use them.
 */
import { wrapWords } from './wrap.js';

/**
 * A metric: `digits` decimals, or exponent form (`expDigits` decimals) at 1000 and above and below
 * 0.001. Undefined (not measured) is '-'.
 */
export function num(x: number | undefined, digits = 4, expDigits = 2): string {
  if (x === undefined) return '-';
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) >= 1000 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(expDigits) : x.toFixed(digits);
}

/** A compact number: 3 significant digits, exponent form outside [0.01, 10000); null is 'overflow'. */
export function compactNum(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return v === null ? 'overflow' : String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-2) {
    const [m, e] = v.toExponential(2).split('e') as [string, string];
    return `${Number(m)}e${Number(e)}`;
  }
  return String(Number(v.toPrecision(3)));
}

/** A duration in words for lines of text: `42s`, `3m05s`, `2h07m`; '?' when unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** A duration as a clock for fixed-width screens: `3:05`, `2:07:00`; '--' when unknown. */
export function formatClock(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}

/**
 * Aligned columns, two spaces apart, each line starting with `indent`. `numbers`: columns after the
 * first are right-aligned (tables of figures). Otherwise all are left-aligned, and with a `width`
 * a last column that would pass it wraps under itself (tables of prose).
 */
export function table(rows: readonly (readonly string[])[], opts: { indent?: string; numbers?: boolean; width?: number } = {}): string[] {
  const indent = opts.indent ?? '  ';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  if (opts.numbers) {
    return rows.map((r) => (indent + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).trimEnd());
  }
  const width = opts.width ?? Infinity;
  const lines: string[] = [];
  for (const r of rows) {
    const head =
      indent +
      r
        .slice(0, -1)
        .map((c, i) => `${c.padEnd(widths[i]!)}  `)
        .join('');
    const last = r[r.length - 1] ?? '';
    if (head.length + last.length <= width || head.length > width / 2) {
      lines.push((head + last).trimEnd());
    } else {
      lines.push(...wrapWords(last, width, head, ' '.repeat(head.length)).map((l) => l.trimEnd()));
    }
  }
  return lines;
}

/** Cuts `text` to `width` columns, ending in '…' when it was cut. */
export function clipText(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/** Word-wraps to `width` columns (long words are cut). */
export function wrapText(text: string, width: number): string[] {
  // Leading spaces (an indented option, a bullet) are kept on the first line.
  const lead = /^\s*/.exec(text)?.[0] ?? '';
  return wrapWords(text, width, lead).map((l) => l.slice(0, width));
}
