import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CIFAR10_FILES, CIFAR10_MEAN, CIFAR10_STD, loadCifar10 } from '../../src/data/cifar10.js';
import { UserError } from '../../src/util/errors.js';
import { makeTar, md5, tempDir, writeCifarArchive } from './helpers.js';

const PER_BATCH = 20;
let work: string;
let archive: { path: string; md5: string; files: Map<string, Buffer> };

beforeAll(() => {
  work = tempDir('rt-cifar-');
  archive = writeCifarArchive(work, PER_BATCH);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));
afterEach(() => vi.unstubAllEnvs());

function useSource(url: string, expectedMd5 = archive.md5): void {
  vi.stubEnv('RESNET_TUTOR_CIFAR10_URL', url);
  vi.stubEnv('RESNET_TUTOR_CIFAR10_MD5', expectedMd5);
}

async function userError(p: Promise<unknown>): Promise<UserError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return err as UserError;
  }
  throw new Error('expected a UserError');
}

describe('cifar10', () => {
  it('downloads from a local path, verifies, extracts only the six batch files, and loads NHWC data', async () => {
    const cacheDir = tempDir('rt-cifar-cache-');
    useSource(archive.path);
    const calls: [number, number, string][] = [];
    const d = await loadCifar10({ cacheDir, onProgress: (a, b, l) => calls.push([a, b, l]) });

    expect(d.name).toBe('cifar10');
    expect(d.inputShape).toEqual([32, 32, 3]);
    expect(d.task).toBe('classification');
    expect(d.numClasses).toBe(10);
    expect(d.classNames?.[0]).toBe('airplane');
    expect(d.train.n).toBe(5 * PER_BATCH);
    expect(d.val.n).toBe(PER_BATCH);
    expect(d.train.x.length).toBe(d.train.n * 32 * 32 * 3);
    expect(d.val.x.length).toBe(d.val.n * 32 * 32 * 3);
    expect(d.train.y).toBeInstanceOf(Uint8Array);
    expect(Math.max(...d.train.y)).toBeLessThanOrEqual(9);
    expect(new Set(d.train.y).size).toBe(10);
    expect(d.train.x.every(Number.isFinite)).toBe(true);

    // The cache holds exactly the extracted folder, with byte-identical files; no temp files remain.
    expect(readdirSync(cacheDir)).toEqual(['cifar10']);
    expect(readdirSync(join(cacheDir, 'cifar10')).sort()).toEqual([...CIFAR10_FILES].sort());
    for (const f of CIFAR10_FILES) {
      expect(readFileSync(join(cacheDir, 'cifar10', f)).equals(archive.files.get(f)!)).toBe(true);
    }
    const size = readFileSync(archive.path).length;
    const dl = calls.filter((c) => c[2].startsWith('Downloading'));
    expect(dl.at(-1)).toEqual([size, size, dl[0]![2]]);
    expect(calls.some((c) => c[2].startsWith('Extracting'))).toBe(true);
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('lays pixels out as NHWC with per-channel normalisation', async () => {
    const cacheDir = tempDir('rt-cifar-cache-');
    useSource(archive.path);
    const d = await loadCifar10({ cacheDir });
    const x = d.val.x;
    const hi = (c: 0 | 1 | 2) => (1 - CIFAR10_MEAN[c]) / CIFAR10_STD[c];
    const lo = (c: 0 | 1 | 2) => (0 - CIFAR10_MEAN[c]) / CIFAR10_STD[c];
    // Record 0 of test_batch is pure red: channel 0 is the largest at every pixel.
    expect(d.val.y[0]).toBe(3);
    for (let p = 0; p < 1024; p++) {
      expect(x[p * 3]).toBeCloseTo(hi(0), 5);
      expect(x[p * 3 + 1]).toBeCloseTo(lo(1), 5);
      expect(x[p * 3 + 2]).toBeCloseTo(lo(2), 5);
    }
    // Record 1: R = column * 8, G = row * 8: row-major order inside each plane.
    const base = 1024 * 3;
    expect(d.val.y[1]).toBe(4);
    for (const [row, col] of [
      [0, 0],
      [0, 31],
      [5, 7],
      [31, 2],
    ] as const) {
      const p = row * 32 + col;
      expect(x[base + p * 3]).toBeCloseTo((col * 8) / 255 / CIFAR10_STD[0] - CIFAR10_MEAN[0] / CIFAR10_STD[0], 5);
      expect(x[base + p * 3 + 1]).toBeCloseTo((row * 8) / 255 / CIFAR10_STD[1] - CIFAR10_MEAN[1] / CIFAR10_STD[1], 5);
    }
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('reuses an extracted folder without any download, and honours limits and seeds', async () => {
    const cacheDir = tempDir('rt-cifar-cache-');
    mkdirSync(join(cacheDir, 'cifar10'));
    for (const [f, data] of archive.files) writeFileSync(join(cacheDir, 'cifar10', f), data);
    useSource('http://127.0.0.1:9/never-fetched.tar.gz');
    const a = await loadCifar10({ cacheDir, trainLimit: 30, valLimit: 5, seed: 3 });
    expect(a.train.n).toBe(30);
    expect(a.val.n).toBe(5);
    expect(a.train.x.length).toBe(30 * 3072);
    const b = await loadCifar10({ cacheDir, trainLimit: 30, valLimit: 5, seed: 3 });
    const c = await loadCifar10({ cacheDir, trainLimit: 30, valLimit: 5, seed: 4 });
    expect(Array.from(b.train.x.subarray(0, 3072 * 3))).toEqual(Array.from(a.train.x.subarray(0, 3072 * 3)));
    expect(Array.from(c.train.x.subarray(0, 3072 * 3))).not.toEqual(Array.from(a.train.x.subarray(0, 3072 * 3)));
    expect(Array.from(c.val.y)).toEqual(Array.from(a.val.y)); // validation is the test batch, in file order
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('accepts a file:// URL and an archive placed by hand in the cache folder', async () => {
    const cacheDir = tempDir('rt-cifar-cache-');
    useSource(pathToFileURL(archive.path).href);
    expect((await loadCifar10({ cacheDir, trainLimit: 4 })).train.n).toBe(4);

    const cacheDir2 = tempDir('rt-cifar-cache-');
    copyFileSync(archive.path, join(cacheDir2, 'cifar-10-binary.tar.gz'));
    useSource('http://127.0.0.1:9/never-fetched.tar.gz');
    expect((await loadCifar10({ cacheDir: cacheDir2, valLimit: 3 })).val.n).toBe(3);
    expect(readdirSync(cacheDir2).sort()).toEqual(['cifar-10-binary.tar.gz', 'cifar10']);
    rmSync(cacheDir, { recursive: true, force: true });
    rmSync(cacheDir2, { recursive: true, force: true });
  });

  it('rejects a wrong checksum with a UserError and leaves no file behind', async () => {
    const cacheDir = tempDir('rt-cifar-cache-');
    const wrong = '0123456789abcdef0123456789abcdef';
    useSource(archive.path, wrong);
    const err = await userError(loadCifar10({ cacheDir }));
    expect(err.message).toMatch(/checksum/);
    expect(err.message).toContain(wrong);
    expect(err.message).toContain(archive.md5);
    expect(err.message).toContain(archive.path);
    expect(err.message).toMatch(/partial file was removed/);
    expect(readdirSync(cacheDir)).toEqual([]);
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('explains how to get CIFAR-10 when the download fails (offline)', async () => {
    const cacheDir = tempDir('rt-cifar-cache-');
    const url = 'http://127.0.0.1:9/x.tar.gz';
    useSource(url);
    const err = await userError(loadCifar10({ cacheDir }));
    expect(err.message).toMatch(/must be downloaded once/);
    expect(err.message).toContain(url);
    expect(err.message).toMatch(/download failed: \S/);
    expect(err.message).toContain(join(cacheDir, 'cifar-10-binary.tar.gz'));
    expect(err.message).toContain(join(cacheDir, 'cifar10'));
    expect(err.message).toContain('RESNET_TUTOR_CIFAR10_URL');
    expect(err.message).not.toContain('\n');
    expect(readdirSync(cacheDir)).toEqual([]);

    // A port where nothing listens: the reason names the refused connection.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    useSource(`http://127.0.0.1:${port}/x.tar.gz`);
    const err1 = await userError(loadCifar10({ cacheDir }));
    expect(err1.message).toMatch(/must be downloaded once.*ECONNREFUSED/);
    expect(readdirSync(cacheDir)).toEqual([]);

    useSource(join(work, 'no-such-file.tar.gz'));
    const err2 = await userError(loadCifar10({ cacheDir }));
    expect(err2.message).toMatch(/must be downloaded once.*ENOENT/);
    expect(readdirSync(cacheDir)).toEqual([]);
    rmSync(cacheDir, { recursive: true, force: true });
  });

  describe('over HTTP', () => {
    let server: Server;
    let base: string;
    beforeAll(async () => {
      const body = readFileSync(archive.path);
      server = createServer((req, res) => {
        if (req.url === '/cifar.tar.gz') {
          res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': body.length });
          res.end(body);
        } else if (req.url === '/short.tar.gz') {
          res.writeHead(200, { 'content-length': body.length });
          res.write(body.subarray(0, 1000));
          setTimeout(() => res.destroy(), 20);
        } else {
          res.writeHead(404, 'Not Found');
          res.end('nope');
        }
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('downloads with byte progress from content-length', async () => {
      const cacheDir = tempDir('rt-cifar-cache-');
      useSource(`${base}/cifar.tar.gz`);
      const calls: [number, number][] = [];
      const d = await loadCifar10({ cacheDir, onProgress: (a, b, l) => l.startsWith('Downloading') && calls.push([a, b]) });
      expect(d.train.n).toBe(100);
      const size = readFileSync(archive.path).length;
      expect(calls[0]).toEqual([0, size]);
      expect(calls.at(-1)).toEqual([size, size]);
      expect(readdirSync(cacheDir)).toEqual(['cifar10']);
      rmSync(cacheDir, { recursive: true, force: true });
    });

    it('reports HTTP errors and cut-off transfers as download failures, leaving nothing behind', async () => {
      const cacheDir = tempDir('rt-cifar-cache-');
      useSource(`${base}/missing.tar.gz`);
      const err = await userError(loadCifar10({ cacheDir }));
      expect(err.message).toMatch(/must be downloaded once.*HTTP 404/);
      useSource(`${base}/short.tar.gz`);
      const err2 = await userError(loadCifar10({ cacheDir }));
      expect(err2.message).toMatch(/must be downloaded once/);
      expect(readdirSync(cacheDir)).toEqual([]);
      rmSync(cacheDir, { recursive: true, force: true });
    });
  });

  it('rejects an archive that is not a tar.gz, or lacks the batch files, leaving nothing behind', async () => {
    const cacheDir = tempDir('rt-cifar-cache-');
    const junk = Buffer.from('this is not gzip at all'.repeat(50));
    const junkPath = join(work, 'junk.tar.gz');
    writeFileSync(junkPath, junk);
    useSource(junkPath, md5(junk));
    const err = await userError(loadCifar10({ cacheDir }));
    expect(err.message).toMatch(/Could not extract/);
    expect(readdirSync(cacheDir)).toEqual([]);

    const whole = readFileSync(archive.path);
    const cut = whole.subarray(0, Math.floor(whole.length / 2)); // a .tar.gz cut off mid-stream
    const cutPath = join(work, 'cut.tar.gz');
    writeFileSync(cutPath, cut);
    useSource(cutPath, md5(cut));
    const errCut = await userError(loadCifar10({ cacheDir }));
    expect(errCut.message).toMatch(/Could not extract/);
    expect(readdirSync(cacheDir)).toEqual([]);

    const partial = gzipSync(makeTar([{ name: 'cifar-10-batches-bin/data_batch_1.bin', data: archive.files.get('data_batch_1.bin') }]));
    const partialPath = join(work, 'partial.tar.gz');
    writeFileSync(partialPath, partial);
    useSource(partialPath, md5(partial));
    const err2 = await userError(loadCifar10({ cacheDir }));
    expect(err2.message).toMatch(/not the CIFAR-10 binary version.*test_batch\.bin/);
    expect(readdirSync(cacheDir)).toEqual([]);
    rmSync(cacheDir, { recursive: true, force: true });
  });
});
