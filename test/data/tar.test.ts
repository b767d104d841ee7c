import { describe, expect, it } from 'vitest';
import { readTar, TarFormatError, type TarEntry } from '../../src/data/tar.js';
import { makeTar } from './helpers.js';

async function* chunks(buf: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

async function list(buf: Uint8Array, chunkSize: number): Promise<{ entry: TarEntry; data: Buffer }[]> {
  const out: { entry: TarEntry; data: Buffer }[] = [];
  await readTar(chunks(buf, chunkSize), (entry) => {
    const parts: Buffer[] = [];
    return { write: (c) => void parts.push(Buffer.from(c)), end: () => void out.push({ entry, data: Buffer.concat(parts) }) };
  });
  return out;
}

describe('readTar', () => {
  const big = Buffer.alloc(3000).map((_, i) => (i * 31) & 0xff);
  const longName = `${'deep/'.repeat(30)}file.bin`; // > 100 characters, split with a ustar prefix
  const veryLong = `${'x'.repeat(150)}.bin`; // no '/': a GNU long-name entry
  const tar = makeTar([
    { name: 'dir/', type: '5' },
    { name: 'dir/a.txt', data: Buffer.from('hello') },
    { name: 'dir/empty' },
    { name: 'dir/big.bin', data: big },
    { name: longName, data: Buffer.from('prefixed') },
    { name: veryLong, data: Buffer.from('long') },
  ]);

  it.each([1, 7, 512, 100_000])('reads entries whatever the chunk size (%i)', async (size) => {
    const entries = await list(tar, size);
    expect(entries.map((e) => [e.entry.name, e.entry.type, e.entry.size])).toEqual([
      ['dir/', 'directory', 0],
      ['dir/a.txt', 'file', 5],
      ['dir/empty', 'file', 0],
      ['dir/big.bin', 'file', 3000],
      [longName, 'file', 8],
      [veryLong, 'file', 4],
    ]);
    expect(entries[1]!.data.toString()).toBe('hello');
    expect(entries[3]!.data.equals(big)).toBe(true);
    expect(entries[4]!.data.toString()).toBe('prefixed');
  });

  it('skips entries when no sink is returned', async () => {
    const seen: string[] = [];
    await readTar(chunks(tar, 4096), (e) => void seen.push(e.name));
    expect(seen).toHaveLength(6);
  });

  it('rejects data that is not tar, and archives cut short', async () => {
    await expect(list(Buffer.alloc(1024, 65), 512)).rejects.toBeInstanceOf(TarFormatError);
    await expect(list(tar.subarray(0, 512 + 2048), 512)).rejects.toThrow(/ends in the middle/);
    await expect(list(Buffer.alloc(0), 512)).rejects.toThrow(/no entries/);
  });
});
