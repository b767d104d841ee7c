import { describe, expect, it } from 'vitest';
import {
  drawShape,
  generateShapes,
  loadSynthetic1d,
  loadSyntheticShapes,
  loadSyntheticSpiral,
  synthetic1dTarget,
} from '../../src/data/synthetic.js';
import { deriveSeed, permutation, Rng } from '../../src/util/rng.js';
import { meanStd, sameBytes } from './helpers.js';

describe('the seeded generator the data sets draw from (engine/rng.ts)', () => {
  it('is deterministic and uniform-ish; permutation is a permutation', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b.next()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(Math.abs(xs.reduce((s, v) => s + v, 0) / 1000 - 0.5)).toBeLessThan(0.05);
    const p = permutation(100, 5);
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(sameBytes(p, permutation(100, 5))).toBe(true);
    expect(sameBytes(p, permutation(100, 6))).toBe(false);
  });

  it('draws what it always drew: every split, synthetic set and saved checkpoint depends on these numbers', () => {
    // mulberry32's first outputs for seed 42, as uint32s; a permutation and a stream seed.
    const rng = new Rng(42);
    expect([rng.next(), rng.next(), rng.next()].map((x) => x * 2 ** 32)).toEqual([2581720956, 1925393290, 3661312704]);
    expect([...permutation(10, 5)]).toEqual([5, 3, 7, 8, 2, 0, 4, 1, 9, 6]);
    expect(deriveSeed(1, 'mnist', 'split')).toBe(1925623583);
  });
});

describe('synthetic-1d', () => {
  it('is a regression set on a grid over [-1, 1]', () => {
    const d = loadSynthetic1d({ seed: 1 });
    expect(d.inputShape).toEqual([1]);
    expect(d.task).toBe('regression');
    expect(d.numClasses).toBe(1);
    expect(d.train.n).toBe(2048);
    expect(d.val.n).toBe(512);
    expect(d.train.y).toBeInstanceOf(Float32Array);
    const xs = [...d.train.x].sort((a, b) => a - b);
    expect(xs[0]).toBe(-1);
    expect(xs.at(-1)).toBe(1);
    // Noisy training targets stay close to the true function; validation is noise-free and sorted.
    let sq = 0;
    for (let i = 0; i < d.train.n; i++) sq += (d.train.y[i]! - synthetic1dTarget(d.train.x[i]!)) ** 2;
    const noise = Math.sqrt(sq / d.train.n);
    expect(noise).toBeGreaterThan(0.03);
    expect(noise).toBeLessThan(0.07);
    for (let i = 1; i < d.val.n; i++) expect(d.val.x[i]).toBeGreaterThan(d.val.x[i - 1]!);
    for (let i = 0; i < d.val.n; i += 37) expect(d.val.y[i]).toBeCloseTo(synthetic1dTarget(d.val.x[i]!), 5);
  });

  it('is deterministic in the seed and honours limits', () => {
    const a = loadSynthetic1d({ seed: 9 });
    const b = loadSynthetic1d({ seed: 9 });
    const c = loadSynthetic1d({ seed: 10 });
    expect(sameBytes(a.train.x, b.train.x) && sameBytes(a.train.y, b.train.y)).toBe(true);
    expect(sameBytes(a.train.y, c.train.y)).toBe(false);
    const small = loadSynthetic1d({ trainLimit: 64, valLimit: 16 });
    expect(small.train.n).toBe(64);
    expect(small.train.x.length).toBe(64);
    expect(small.val.n).toBe(16);
  });
});

describe('synthetic-spiral', () => {
  it('has three balanced classes of 2-D points', () => {
    const d = loadSyntheticSpiral({ seed: 2 });
    expect(d.inputShape).toEqual([2]);
    expect(d.numClasses).toBe(3);
    expect(d.train.n).toBe(3000);
    expect(d.val.n).toBe(600);
    expect(d.train.x.length).toBe(6000);
    const counts = [0, 0, 0];
    for (const y of d.train.y) counts[y]!++;
    expect(counts).toEqual([1000, 1000, 1000]);
    for (const v of d.train.x) expect(Math.abs(v)).toBeLessThan(1.3);
    const again = loadSyntheticSpiral({ seed: 2 });
    expect(sameBytes(again.train.x, d.train.x)).toBe(true);
    expect(sameBytes(loadSyntheticSpiral({ seed: 3 }).train.x, d.train.x)).toBe(false);
    expect(sameBytes(d.val.x.subarray(0, 100), d.train.x.subarray(0, 100))).toBe(false);
  });
});

describe('synthetic-shapes', () => {
  it('has 16x16x1 normalised images of circles and squares', () => {
    const d = loadSyntheticShapes({ seed: 4 });
    expect(d.inputShape).toEqual([16, 16, 1]);
    expect(d.numClasses).toBe(2);
    expect(d.classNames).toEqual(['circle', 'square']);
    expect(d.train.n).toBe(4000);
    expect(d.val.n).toBe(800);
    expect(d.train.x.length).toBe(4000 * 256);
    const counts = [0, 0];
    for (const y of d.train.y) counts[y]!++;
    expect(counts).toEqual([2000, 2000]);
    const { mean, std } = meanStd(d.train.x);
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(std - 1)).toBeLessThan(0.05);
  });

  it('is deterministic in the seed and honours limits', () => {
    const a = loadSyntheticShapes({ seed: 4, trainLimit: 50, valLimit: 20 });
    const b = loadSyntheticShapes({ seed: 4, trainLimit: 50, valLimit: 20 });
    const c = loadSyntheticShapes({ seed: 5, trainLimit: 50, valLimit: 20 });
    expect(a.train.n).toBe(50);
    expect(a.val.n).toBe(20);
    expect(sameBytes(a.train.x, b.train.x) && sameBytes(a.val.x, b.val.x)).toBe(true);
    expect(sameBytes(a.train.x, c.train.x)).toBe(false);
  });

  it('draws shapes with masks that match the image', () => {
    const rng = new Rng(11);
    for (const kind of ['circle', 'square'] as const) {
      for (let k = 0; k < 20; k++) {
        const s = drawShape(rng, kind);
        expect(s.kind).toBe(kind);
        expect(s.image).toHaveLength(256);
        const inside: number[] = [];
        const outside: number[] = [];
        s.mask.forEach((m, i) => (m ? inside : outside).push(s.image[i]!));
        expect(inside.length).toBeGreaterThan(15);
        expect(outside.length).toBeGreaterThan(100);
        // The shape is brighter than the background and lies wholly inside the image.
        expect(meanStd(inside).mean).toBeGreaterThan(meanStd(outside).mean + 0.3);
        for (let i = 0; i < 16; i++) {
          expect(s.mask[i]! + s.mask[240 + i]! + s.mask[i * 16]! + s.mask[i * 16 + 15]!).toBe(0);
        }
        for (const v of s.image) expect(v >= 0 && v <= 1).toBe(true);
      }
    }
    const g = generateShapes(10, 1);
    expect(g.masks).toHaveLength(2560);
    expect(g.images).toHaveLength(2560);
  });
});
