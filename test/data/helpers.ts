/** Test helpers: a tiny tar writer and CIFAR-10 binary records, so tests never need the network. */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export function tempDir(prefix = 'rt-data-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface TarInput {
  name: string;
  data?: Uint8Array;
  /** '0' file (default), '5' folder. */
  type?: '0' | '5';
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, size: number, type: string, prefix = ''): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(0o644, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(1_700_000_000, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(type, 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write('test', 265, 'ascii');
  h.write('test', 297, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return h;
}

function pad(data: Uint8Array): Buffer[] {
  const rest = (512 - (data.length % 512)) % 512;
  return [Buffer.from(data), Buffer.alloc(rest)];
}

/**
 * A tar archive: ustar headers in 512-byte blocks; names over 100 characters use a ustar prefix
 * when they split at a '/', else a GNU long-name entry.
 */
export function makeTar(entries: readonly TarInput[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = e.data ?? new Uint8Array(0);
    const type = e.type ?? '0';
    let name = e.name;
    let prefix = '';
    if (Buffer.byteLength(name) > 100) {
      const cut = name.lastIndexOf('/', 154);
      if (cut > 0 && name.length - cut - 1 <= 100 && cut <= 155) {
        prefix = name.slice(0, cut);
        name = name.slice(cut + 1);
      } else {
        const long = Buffer.from(name + '\0');
        parts.push(header('././@LongLink', long.length, 'L'), ...pad(long));
        name = name.slice(0, 100);
      }
    }
    parts.push(header(name, type === '5' ? 0 : data.length, type, prefix));
    if (type !== '5') parts.push(...pad(data));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export const RECORD = 3073;

/** One CIFAR-10 record: label, then R, G, B planes of 1024 bytes. */
export function cifarRecord(label: number, r: (p: number) => number, g: (p: number) => number, b: (p: number) => number): Buffer {
  const rec = Buffer.alloc(RECORD);
  rec[0] = label;
  for (let p = 0; p < 1024; p++) {
    rec[1 + p] = r(p);
    rec[1025 + p] = g(p);
    rec[2049 + p] = b(p);
  }
  return rec;
}

/**
 * Six batch files of `perBatch` records each. Labels cycle 0..9. In test_batch, record 0 is pure red
 * (R=255, G=B=0) and record 1 has R = column index * 8, G = row index * 8, B = 0.
 */
export function cifarBatches(perBatch = 20): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const names = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin'];
  names.forEach((name, f) => {
    const recs: Buffer[] = [];
    for (let i = 0; i < perBatch; i++) {
      if (name === 'test_batch.bin' && i === 0)
        recs.push(
          cifarRecord(
            3,
            () => 255,
            () => 0,
            () => 0,
          ),
        );
      else if (name === 'test_batch.bin' && i === 1)
        recs.push(
          cifarRecord(
            4,
            (p) => (p % 32) * 8,
            (p) => Math.floor(p / 32) * 8,
            () => 0,
          ),
        );
      else
        recs.push(
          cifarRecord(
            i % 10,
            (p) => (p * 7 + i + f) % 256,
            (p) => (p * 3 + i) % 256,
            (p) => (p + 11 * i) % 256,
          ),
        );
    }
    files.set(name, Buffer.concat(recs));
  });
  return files;
}

/** Writes a .tar.gz shaped like the real one (folder cifar-10-batches-bin/ plus extra files) and returns its path and md5. */
export function writeCifarArchive(dir: string, perBatch = 20): { path: string; md5: string; files: Map<string, Buffer> } {
  const files = cifarBatches(perBatch);
  const entries: TarInput[] = [{ name: 'cifar-10-batches-bin/', type: '5' }];
  entries.push({ name: 'cifar-10-batches-bin/batches.meta.txt', data: Buffer.from('airplane\nautomobile\n') });
  for (const [name, data] of files) entries.push({ name: `cifar-10-batches-bin/${name}`, data });
  entries.push({ name: 'cifar-10-batches-bin/readme.html', data: Buffer.from('<html></html>') });
  const gz = gzipSync(makeTar(entries));
  const path = join(dir, 'tiny-cifar.tar.gz');
  writeFileSync(path, gz);
  return { path, md5: md5(gz), files };
}

export function md5(data: Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

/** Mean and standard deviation of a float array. */
export function meanStd(x: ArrayLike<number>): { mean: number; std: number } {
  let s = 0;
  let ss = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!; // i < x.length
    s += v;
    ss += v * v;
  }
  const mean = s / x.length;
  return { mean, std: Math.sqrt(Math.max(ss / x.length - mean * mean, 0)) };
}

/** Byte-for-byte equality of two typed arrays (fast, unlike a deep equal on large arrays). */
export function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
