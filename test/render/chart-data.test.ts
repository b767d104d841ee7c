import { describe, expect, it } from 'vitest';
import {
  countNonFinite,
  downsample,
  ema,
  extent,
  fit,
  formatTick,
  LOG_FLOOR,
  sanitize,
  stretch,
  toLog10,
} from '../../src/render/chart-data.js';

describe('sanitize', () => {
  it('holds non-finite values at the previous finite one, leading ones at the first', () => {
    expect(sanitize([NaN, 1, Infinity, 3, -Infinity, NaN, 5])).toEqual([1, 1, 1, 3, 3, 3, 5]);
  });

  it('treats JSON null (how NaN is stored in metrics.jsonl) as non-finite', () => {
    expect(sanitize([null, 2, null, undefined, 4])).toEqual([2, 2, 2, 2, 4]);
    expect(countNonFinite([null, 2, NaN, undefined, 4])).toBe(3);
  });

  it('drops them in drop mode', () => {
    expect(sanitize([NaN, 1, Infinity, 3, null], 'drop')).toEqual([1, 3]);
  });

  it('returns an empty series when nothing is finite', () => {
    expect(sanitize([NaN, Infinity])).toEqual([]);
    expect(sanitize([])).toEqual([]);
  });
});

describe('downsample', () => {
  it('keeps a short series as it is (a copy)', () => {
    const s = [1, 2, 3];
    const d = downsample(s, 5);
    expect(d).toEqual([1, 2, 3]);
    expect(d).not.toBe(s);
  });

  it('averages equal buckets', () => {
    expect(downsample([1, 2, 3, 4, 5, 6, 7, 8], 4)).toEqual([1.5, 3.5, 5.5, 7.5]);
    expect(downsample([1, 2, 3, 4, 5, 6, 7, 8], 2)).toEqual([2.5, 6.5]);
  });

  it('splits uneven lengths into buckets of floor(i*n/w)..floor((i+1)*n/w)', () => {
    // n = 5, w = 2: buckets [0, 2) and [2, 5)
    expect(downsample([1, 2, 3, 4, 5], 2)).toEqual([1.5, 4]);
  });

  it('keeps spikes with max and min, and the newest value with last', () => {
    const s = [0, 9, 0, 0, 0, 0, -7, 0];
    expect(downsample(s, 2, 'max')).toEqual([9, 0]);
    expect(downsample(s, 2, 'min')).toEqual([0, -7]);
    expect(downsample(s, 4, 'last')).toEqual([9, 0, 0, 0]);
  });

  it('refuses a width below 1', () => {
    expect(() => downsample([1, 2], 0)).toThrow(/width/);
  });
});

describe('stretch and fit', () => {
  it('interpolates linearly, keeping both ends', () => {
    expect(stretch([0, 10], 5)).toEqual([0, 2.5, 5, 7.5, 10]);
    expect(stretch([0, 10, 0], 5)).toEqual([0, 5, 10, 5, 0]);
    expect(stretch([4], 3)).toEqual([4, 4, 4]);
    expect(stretch([], 3)).toEqual([]);
  });

  it('fit gives exactly `width` points either way', () => {
    expect(fit([1, 2, 3, 4], 2)).toEqual([1.5, 3.5]);
    expect(fit([0, 1], 3)).toEqual([0, 0.5, 1]);
    expect(
      fit(
        Array.from({ length: 1000 }, (_, i) => i),
        77,
      ),
    ).toHaveLength(77);
  });
});

describe('ema', () => {
  it('starts at the first value and mixes in alpha of each new one', () => {
    expect(ema([1, 3, 3], 0.5)).toEqual([1, 2, 2.5]);
    expect(ema([10, 0, 0], 0.1)).toEqual([10, 9, 8.1]);
  });

  it('alpha 1 is the series itself', () => {
    expect(ema([5, 1, 7], 1)).toEqual([5, 1, 7]);
  });

  it('skips non-finite values', () => {
    expect(ema([NaN, 2, NaN, 4], 0.5)).toEqual([NaN, 2, 2, 3]);
  });

  it('refuses alpha outside (0, 1]', () => {
    expect(() => ema([1], 0)).toThrow(/alpha/);
    expect(() => ema([1], 1.5)).toThrow(/alpha/);
  });
});

describe('toLog10', () => {
  it('takes log10, with a floor for values <= 0', () => {
    expect(toLog10([1, 10, 0.01, 1000])).toEqual([0, 1, -2, 3]);
    expect(toLog10([0, -5])).toEqual([Math.log10(LOG_FLOOR), Math.log10(LOG_FLOOR)]);
    expect(toLog10([0], 1e-3)).toEqual([-3]);
  });

  it('keeps NaN (and null) as NaN and Infinity as Infinity, for sanitize to handle', () => {
    expect(toLog10([NaN, null, Infinity])).toEqual([NaN, NaN, Infinity]);
  });
});

describe('formatTick', () => {
  it('linear: up to three significant digits, exponent form for tiny and huge values', () => {
    expect(formatTick(0)).toBe('0');
    expect(formatTick(0.25)).toBe('0.25');
    expect(formatTick(1.23456)).toBe('1.23');
    expect(formatTick(-0.5)).toBe('-0.5');
    expect(formatTick(1234.5)).toBe('1230');
    expect(formatTick(12345)).toBe('1.2e4');
    expect(formatTick(0.00123)).toBe('1.2e-3');
    expect(formatTick(1e-13)).toBe('0');
  });

  it('log: whole decades as 1eN, plain digits from 1 to 999, mantissas in between', () => {
    expect(formatTick(-2, true)).toBe('1e-2');
    expect(formatTick(0, true)).toBe('1');
    expect(formatTick(1, true)).toBe('10');
    expect(formatTick(2, true)).toBe('100');
    expect(formatTick(3, true)).toBe('1e3');
    expect(formatTick(Math.log10(0.0032), true)).toBe('3.2e-3');
    expect(formatTick(Math.log10(0.2), true)).toBe('2e-1');
    expect(formatTick(Math.log10(3.2), true)).toBe('3.2');
    expect(formatTick(Math.log10(320), true)).toBe('320');
    expect(formatTick(Math.log10(0.00999), true)).toBe('1e-2'); // rounds up into the next decade
  });
});

describe('extent', () => {
  it('spans all series, ignoring non-finite values', () => {
    expect(
      extent([
        [1, NaN, 5],
        [-2, Infinity],
      ]),
    ).toEqual({ min: -2, max: 5 });
    expect(extent([[NaN], []])).toBeNull();
  });
});
