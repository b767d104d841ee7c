import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { failWriteFor } from './faults.js';

/**
 * The one atomic file writer (run folders, checkpoints, the data cache, settings). Every layer may
 * import it: it depends on nothing but node:fs and the test-only fault injection.
 */

/** What a write takes: text, bytes, or bytes in parts (a large file built piece by piece). */
export type FileData = string | Uint8Array | readonly Uint8Array[];

/**
 * Writes a file so that a reader (or a crash at any instant) sees either the old content or the new,
 * never a mix: write a temporary sibling, fsync it, rename it over the target, fsync the folder.
 */
export function writeFileAtomic(path: string, data: FileData): void {
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    writeAndSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  fsyncDir(dirname(path));
}

/** Writes a file and fsyncs it (no rename): for files inside a temporary folder renamed as a whole. */
export function writeAndSync(path: string, data: FileData): void {
  const injected = failWriteFor(path);
  if (injected) throw injected;
  const fd = openSync(path, 'w');
  try {
    for (const buf of typeof data === 'string' ? [Buffer.from(data)] : data instanceof Uint8Array ? [data] : data) {
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Makes a rename durable; some file systems refuse to open folders, which is harmless here. */
export function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Not supported on this file system; the rename is still atomic.
  }
}
