/**
 * Pure helpers that turn metric series into something a terminal chart can draw. asciichart throws
 * on NaN/Infinity and draws one column per point, so every series goes through `sanitize` and then
 * `fit` (or `downsample`/`stretch`) before it is plotted. No React, no tfjs: the report, the live
 * dashboard and tests share these.
 */

/** What `sanitize` does with a value that is not a finite number (NaN, ±Infinity, a JSON `null`). */
export type SanitizeMode = 'hold' | 'drop';

/**
 * Removes non-finite values. `hold` (default) keeps the length, so series stay aligned with their
 * steps: a non-finite value takes the previous finite one, and leading ones take the first finite
 * one. `drop` leaves them out. A series with no finite value becomes empty.
 */
export function sanitize(series: readonly (number | null | undefined)[], mode: SanitizeMode = 'hold'): number[] {
  const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  if (mode === 'drop') return series.filter(finite);
  const first = series.find(finite);
  if (first === undefined) return [];
  const out: number[] = [];
  let last = first;
  for (const v of series) {
    if (finite(v)) last = v;
    out.push(last);
  }
  return out;
}

/** How many values of `series` `sanitize` would replace or drop. */
export function countNonFinite(series: readonly (number | null | undefined)[]): number {
  return series.filter((v) => !(typeof v === 'number' && Number.isFinite(v))).length;
}

/** How `downsample` summarises the points that share one column. */
export type Reduce = 'mean' | 'min' | 'max' | 'last';

/**
 * Shrinks a series to at most `width` points, keeping its shape: point i summarises the bucket
 * [floor(i·n/width), floor((i+1)·n/width)) of the input (its mean by default; `max` keeps spikes).
 * A series already short enough is returned as a copy.
 */
export function downsample(series: readonly number[], width: number, reduce: Reduce = 'mean'): number[] {
  if (!Number.isInteger(width) || width < 1) throw new RangeError(`downsample: width must be a positive integer; got ${width}`);
  const n = series.length;
  if (n <= width) return [...series];
  const out: number[] = [];
  for (let i = 0; i < width; i++) {
    const from = Math.floor((i * n) / width);
    const to = Math.floor(((i + 1) * n) / width);
    const bucket = series.slice(from, to);
    // Loops rather than Math.min(...bucket): a long run's bucket can exceed the argument limit.
    switch (reduce) {
      case 'min':
        out.push(bucket.reduce((m, v) => (v < m ? v : m), Infinity));
        break;
      case 'max':
        out.push(bucket.reduce((m, v) => (v > m ? v : m), -Infinity));
        break;
      case 'last':
        out.push(bucket[bucket.length - 1]!);
        break;
      case 'mean':
        out.push(bucket.reduce((sum, v) => sum + v, 0) / bucket.length);
    }
  }
  return out;
}

/**
 * Widens a series to `width` points by linear interpolation, so a run with few logged steps still
 * fills the chart. The first and last points stay where they are. Shorter `width` returns a copy.
 */
export function stretch(series: readonly number[], width: number): number[] {
  const n = series.length;
  if (n === 0 || width <= n) return [...series];
  if (n === 1) return new Array<number>(width).fill(series[0]!);
  const out: number[] = [];
  for (let i = 0; i < width; i++) {
    const pos = (i * (n - 1)) / (width - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(lo + 1, n - 1);
    const t = pos - lo;
    out.push(series[lo]! + (series[hi]! - series[lo]!) * t);
  }
  return out;
}

/** Exactly `width` points: `downsample` when longer, `stretch` when shorter (empty stays empty). */
export function fit(series: readonly number[], width: number, reduce: Reduce = 'mean'): number[] {
  return series.length > width ? downsample(series, width, reduce) : stretch(series, width);
}

/**
 * Exponential moving average, s₀ = x₀ and sᵢ = α·xᵢ + (1−α)·sᵢ₋₁, for smoothing a noisy loss.
 * Non-finite inputs leave the average where it was (and are returned as-is before the first finite one).
 */
export function ema(series: readonly number[], alpha: number): number[] {
  if (!(alpha > 0 && alpha <= 1)) throw new RangeError(`ema: alpha must be in (0, 1]; got ${alpha}`);
  const out: number[] = [];
  let s: number | undefined;
  for (const v of series) {
    if (Number.isFinite(v)) s = s === undefined ? v : alpha * v + (1 - alpha) * s;
    out.push(s ?? v);
  }
  return out;
}

/** The smallest value `toLog10` takes the log of: values at or below zero are drawn at log10(floor). */
export const LOG_FLOOR = 1e-12;

/**
 * log10 of each value, for quantities that span decades (gradient norms, activation variances).
 * Values <= 0 become log10(`floor`); NaN (or a JSON null) becomes NaN and +Infinity stays +Infinity
 * (sanitize after).
 */
export function toLog10(series: readonly (number | null | undefined)[], floor = LOG_FLOOR): number[] {
  return series.map((v) => (typeof v !== 'number' || Number.isNaN(v) ? NaN : Math.log10(Math.max(v, floor))));
}

/**
 * An axis label. Linear: up to 3 significant digits, exponent form outside [0.01, 10000)
 * ("0.25", "1.5", "1200", "3e-4"). Log (`value` is a log10): the number it stands for, "1e-2" at
 * whole decades, "3.2e-3" between them, and plain digits from 1 to 999 ("1", "3.2", "320").
 */
export function formatTick(value: number, log = false): string {
  if (!Number.isFinite(value)) return String(value);
  if (!log) {
    if (value === 0 || Math.abs(value) < 1e-12) return '0';
    const a = Math.abs(value);
    if (a >= 1e4 || a < 1e-2) return expForm(value, 2);
    return String(Number(value.toPrecision(3)));
  }
  let e = Math.floor(value + 1e-9);
  let m = Number((10 ** (value - e)).toFixed(1));
  if (m >= 10) {
    m = 1;
    e += 1;
  }
  if (e >= 0 && e <= 2) return String(Number((m * 10 ** e).toPrecision(2)));
  return `${String(m)}e${e}`;
}

/** "1.5e-3" rather than JavaScript's "1.5e-3"/"1.50e+4": no plus sign, no trailing zeros. */
function expForm(value: number, digits: number): string {
  const [mant, exp] = value.toExponential(digits - 1).split('e') as [string, string];
  return `${String(Number(mant))}e${Number(exp)}`;
}

/** Smallest and largest finite value over several series; null when there is none. */
export function extent(series: readonly (readonly number[])[]): { min: number; max: number } | null {
  let min = Infinity;
  let max = -Infinity;
  for (const s of series) {
    for (const v of s) {
      if (!Number.isFinite(v)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return min === Infinity ? null : { min, max };
}
