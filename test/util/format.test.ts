import { describe, expect, it } from 'vitest';
import { compactNum, formatClock, formatDuration, num, table } from '../../src/util/format.js';

describe('format', () => {
  it('num: fixed decimals in [0.001, 1000), exponent form outside, - when not measured', () => {
    expect(num(0.12345)).toBe('0.1235');
    expect(num(1234.5)).toBe('1.23e+3');
    expect(num(0.0001234, 4, 3)).toBe('1.234e-4');
    expect(num(0)).toBe('0.0000');
    expect(num(undefined)).toBe('-');
    expect(num(NaN)).toBe('NaN');
  });

  it('compactNum: three significant digits', () => {
    expect(compactNum(1.23456)).toBe('1.23');
    expect(compactNum(123456)).toBe('1.23e5');
    expect(compactNum(null)).toBe('overflow');
  });

  it('durations: in words for lines, as a clock for screens', () => {
    expect([42, 185, 7620].map(formatDuration)).toEqual(['42s', '3m05s', '2h07m']);
    expect([42, 185, 7620].map(formatClock)).toEqual(['0:42', '3:05', '2:07:00']);
    expect([formatDuration(-1), formatClock(NaN)]).toEqual(['?', '--']);
  });

  it('table: figures right-aligned; prose wraps its last column under itself', () => {
    expect(
      table(
        [
          ['a', '1'],
          ['bbb', '100'],
        ],
        { numbers: true },
      ),
    ).toEqual(['  a      1', '  bbb  100']);
    expect(table([['key', 'one two three four']], { width: 16 })).toEqual(['  key  one two', '       three', '       four']);
  });
});
