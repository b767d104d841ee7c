/**
 * A small streaming tar reader (POSIX ustar, with GNU long names and pax path records), enough to
 * pull a few regular files out of an archive such as cifar-10-binary.tar.gz after gunzip.
 */

export interface TarEntry {
  /** Path inside the archive (prefix and name joined, or the long name). */
  readonly name: string;
  /** Size of the content in bytes. */
  readonly size: number;
  /** `file`, `directory`, or `other` (links, devices, ...). */
  readonly type: 'file' | 'directory' | 'other';
}

/** Receives the content of one entry. */
export interface TarSink {
  write(chunk: Uint8Array): void | Promise<void>;
  end(): void | Promise<void>;
}

export class TarFormatError extends Error {
  override readonly name = 'TarFormatError';
}

const BLOCK = 512;

function readString(h: Uint8Array, off: number, len: number): string {
  let end = off;
  while (end < off + len && h[end] !== 0) end++;
  return Buffer.from(h.buffer, h.byteOffset + off, end - off).toString('utf8');
}

function readNumber(h: Uint8Array, off: number, len: number): number {
  // h is one 512-byte header block and every field (off, len) lies inside it.
  const first = h[off]!;
  if (first & 0x80) {
    // GNU base-256: big-endian, the top bit of the first byte is the flag.
    let v = first & 0x7f;
    for (let i = 1; i < len; i++) v = v * 256 + h[off + i]!;
    return v;
  }
  const text = readString(h, off, len).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError(`not a tar archive (bad number field "${text}")`);
  return parseInt(text, 8);
}

function checksumOk(h: Uint8Array): boolean {
  const stored = readNumber(h, 148, 8);
  let sum = 0;
  for (const [i, b] of h.subarray(0, BLOCK).entries()) sum += i >= 148 && i < 156 ? 0x20 : b;
  return sum === stored;
}

function parsePax(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < text.length) {
    const sp = text.indexOf(' ', i);
    if (sp < 0) break;
    const len = parseInt(text.slice(i, sp), 10);
    if (!(len > 0)) break;
    const record = text.slice(sp + 1, i + len - 1); // without the trailing newline
    const eq = record.indexOf('=');
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    i += len;
  }
  return out;
}

/** Collects an entry's content in memory (for long names and pax headers). */
class Collect implements TarSink {
  parts: Uint8Array[] = [];
  write(chunk: Uint8Array): void {
    this.parts.push(Uint8Array.from(chunk));
  }
  end(): void {}
  text(): string {
    return Buffer.concat(this.parts).toString('utf8');
  }
}

/**
 * Reads a tar stream, calling `onEntry` for each file or folder; returning a sink receives the
 * content, returning null/undefined skips it. Throws TarFormatError when the stream is not a valid
 * tar archive or ends inside an entry.
 */
export async function readTar(
  source: AsyncIterable<Uint8Array>,
  onEntry: (entry: TarEntry) => TarSink | null | undefined | Promise<TarSink | null | undefined>,
): Promise<void> {
  const header = new Uint8Array(BLOCK);
  let headerFill = 0;
  let remaining = 0; // content bytes left in the current entry
  let padding = 0; // padding bytes left after it
  let sink = null as TarSink | null | undefined;
  let inEntry = false;
  let ended = false;
  let sawHeader = false;
  // Metadata entries that apply to the next header.
  let pendingName: string | undefined;
  let meta: { kind: 'longname' | 'pax' | 'skip'; sink: Collect } | undefined;

  const finishEntry = async (): Promise<void> => {
    if (meta) {
      if (meta.kind === 'longname') pendingName = meta.sink.text().replace(/\0+$/, '');
      else if (meta.kind === 'pax') pendingName = parsePax(meta.sink.text()).get('path') ?? pendingName;
      meta = undefined;
    } else if (sink) {
      await sink.end();
    }
    sink = null;
    inEntry = false;
  };

  const startEntry = async (h: Uint8Array): Promise<void> => {
    if (!checksumOk(h)) throw new TarFormatError('not a tar archive (bad header checksum)');
    sawHeader = true;
    const size = readNumber(h, 124, 12);
    const flag = String.fromCharCode(h[156] || 0x30);
    const magic = readString(h, 257, 6);
    const prefix = magic.startsWith('ustar') ? readString(h, 345, 155) : '';
    let name = readString(h, 0, 100);
    if (prefix) name = `${prefix}/${name}`;
    if (pendingName !== undefined) name = pendingName;
    remaining = size;
    padding = (BLOCK - (size % BLOCK)) % BLOCK;
    inEntry = true;
    if (flag === 'L') {
      meta = { kind: 'longname', sink: new Collect() };
      sink = meta.sink;
      return;
    }
    if (flag === 'x') {
      meta = { kind: 'pax', sink: new Collect() };
      sink = meta.sink;
      return;
    }
    if (flag === 'g' || flag === 'K') {
      meta = { kind: 'skip', sink: new Collect() };
      sink = null;
      return;
    }
    pendingName = undefined;
    const type: TarEntry['type'] = flag === '0' || flag === '7' ? 'file' : flag === '5' ? 'directory' : 'other';
    sink = await onEntry({ name, size, type });
  };

  for await (const chunkIn of source) {
    const chunk = chunkIn instanceof Uint8Array ? chunkIn : new Uint8Array(chunkIn as ArrayBuffer);
    let off = 0;
    while (off < chunk.length && !ended) {
      if (inEntry && remaining > 0) {
        const take = Math.min(remaining, chunk.length - off);
        if (sink) await sink.write(chunk.subarray(off, off + take));
        off += take;
        remaining -= take;
        continue;
      }
      if (inEntry && remaining === 0) {
        await finishEntry();
        continue;
      }
      if (padding > 0) {
        const take = Math.min(padding, chunk.length - off);
        off += take;
        padding -= take;
        continue;
      }
      const take = Math.min(BLOCK - headerFill, chunk.length - off);
      header.set(chunk.subarray(off, off + take), headerFill);
      headerFill += take;
      off += take;
      if (headerFill < BLOCK) continue;
      headerFill = 0;
      if (header.every((b) => b === 0)) {
        ended = true; // end-of-archive marker (the second zero block and any slack are ignored)
        break;
      }
      await startEntry(header);
    }
    if (ended) break;
  }
  if (inEntry && remaining === 0) await finishEntry();
  if (inEntry || headerFill !== 0) throw new TarFormatError('the tar archive ends in the middle of an entry');
  if (!sawHeader) throw new TarFormatError('not a tar archive (no entries)');
}
