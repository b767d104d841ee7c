import { describe, expect, it } from 'vitest';
import { colorEnabled, renderChart, visibleLength } from '../../src/render/text-chart.js';

const ESC = /\u001b\[/;
const lines = (s: string) => s.replace(/\n$/, '').split('\n');

describe('renderChart', () => {
  const ramp = Array.from({ length: 21 }, (_, i) => i / 20); // 0 .. 1, stretched to the width
  const chart = renderChart({
    title: 'Training loss',
    series: [ramp, ramp.map((v) => 1 - v)],
    labels: ['rising', 'falling'],
    height: 6,
    width: 50,
    xRange: ['step 1', 'step 200'],
  });

  it('has the title first, then the plot with axis labels, the x range and the legend', () => {
    const l = lines(chart);
    expect(l[0]).toBe('Training loss');
    // Axis labels at the ends of the range, right-aligned before the axis.
    expect(l[1]).toMatch(/^\s*1 ┤/);
    expect(l.find((x) => /^\s*0 ┤/.test(x))).toBeDefined();
    expect(chart).toContain('0.6 ┤');
    expect(l.at(-2)).toMatch(/^\s+step 1\s+step 200$/);
    expect(l.at(-1)).toMatch(/── rising {3}·· falling$/);
  });

  it('draws the first series with box lines and the second with its own mark, without colour', () => {
    expect(chart).toMatch(/[╭╯]/);
    expect(chart).toContain('·');
    expect(chart).not.toMatch(ESC);
  });

  it('never makes a line longer than the width', () => {
    for (const width of [20, 33, 50, 80, 131]) {
      const c = renderChart({
        title: 'x'.repeat(200),
        series: [ramp],
        labels: ['a'.repeat(40), 'b'],
        width,
        height: 5,
        xRange: ['from here', 'to there'],
      });
      for (const line of lines(c)) expect(line.length).toBeLessThanOrEqual(width);
    }
  });

  it('fills the width: the plot area ends at the last column', () => {
    const l = lines(renderChart({ title: 't', series: [[0, 1, 2, 3]], labels: ['s'], width: 40, height: 4 }));
    expect(Math.max(...l.map((x) => x.length))).toBe(40);
  });

  it('downsamples a long series to one point per column, the axis spanning the points drawn', () => {
    // 1000 points: 0 ... 999, then one spike that the bucket mean smooths away.
    const long = [...Array.from({ length: 999 }, (_, i) => i), 1e6];
    const l = lines(renderChart({ title: 'long', series: [long], labels: ['x'], width: 40, height: 4 }));
    const top = Number(l[1]!.split('┤')[0]);
    expect(top).toBeGreaterThan(900);
    expect(top).toBeLessThan(1e5);
    for (const line of l) expect(line.length).toBeLessThanOrEqual(40);
  });

  it('does not crash on NaN or Infinity, and says how many values it held', () => {
    const c = renderChart({
      title: 'diverged',
      series: [
        [1, 2, NaN, Infinity, 3],
        [NaN, NaN],
      ],
      labels: ['loss', 'val'],
      width: 60,
      height: 4,
    });
    expect(c).toContain('(2 non-finite values drawn at the previous value)');
    expect(c).toContain('·· val (no data)');
    expect(c).not.toContain('NaN');
  });

  it('fills a series that starts later (validation) without a note', () => {
    const c = renderChart({ title: 'v', series: [[NaN, NaN, 1, 2]], labels: ['val'], width: 40, height: 4 });
    expect(c).not.toContain('non-finite');
  });

  it('says "no data yet" when nothing is finite', () => {
    expect(renderChart({ title: 'empty', series: [[], [NaN]], labels: ['a', 'b'], width: 40 })).toBe('empty\n  (no data yet)\n');
  });

  it('draws a flat series on a widened range', () => {
    const l = lines(renderChart({ title: 'flat', series: [[2, 2, 2]], labels: ['c'], width: 30, height: 5 }));
    expect(l.filter((x) => x.includes('────')).length).toBe(1);
    expect(l[1]).toMatch(/^\s*2\.2 ┤$/);
  });

  it('log scale labels read as powers of ten', () => {
    const c = renderChart({ title: 'grad', series: [[1e-4, 1e-3, 1e-2, 1e-1]], labels: ['block1'], width: 40, height: 4, log: true });
    const l = lines(c);
    expect(l[1]).toMatch(/^\s*1e-1 ┤/);
    expect(c).toMatch(/^\s*1e-4 ┤/m);
    expect(c).toContain('1e-2');
  });

  it('log scale puts zeros at the floor instead of -Infinity', () => {
    const c = renderChart({ title: 'var', series: [[0, 1, 10]], labels: ['v'], width: 40, height: 4, log: true });
    expect(c).toContain('1e-12');
    expect(c).not.toContain('non-finite');
  });

  it('colours series only when asked, and keeps the same visible width', () => {
    const opts = { title: 'c', series: [ramp, ramp.map((v) => 1 - v)], labels: ['a', 'b'], width: 50, height: 6 } as const;
    const plain = lines(renderChart(opts));
    const coloured = lines(renderChart({ ...opts, colors: ['cyan', 'magenta'] }));
    expect(coloured.join('\n')).toMatch(/\u001b\[36m/);
    expect(coloured.join('\n')).toMatch(/\u001b\[35m/);
    expect(coloured.length).toBe(plain.length);
    for (const line of coloured) expect(visibleLength(line)).toBeLessThanOrEqual(50);
  });
});

describe('colorEnabled', () => {
  it('is off when NO_COLOR is set or the stream is not a terminal', () => {
    expect(colorEnabled({ isTTY: true }, {})).toBe(true);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
    expect(colorEnabled({}, {})).toBe(false);
  });
});
