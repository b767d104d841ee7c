/**
 * CIFAR-10, binary version: 60,000 32x32 colour images in 10 classes. Not shipped in any npm
 * package, so the archive (~163 MB) is downloaded once, checked against its md5, and its six .bin
 * files are extracted into `<cacheDir>/cifar10/`. A folder that already holds them is used as is.
 *
 * Environment:
 *   RESNET_TUTOR_CIFAR10_URL  another source for the archive: http(s) URL, file:// URL or a path.
 *   RESNET_TUTOR_CIFAR10_MD5  the md5 that source must have (defaults to the official archive's).
 *   HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY (and lower-case)  honoured as curl and pip do.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import { UserError } from '../util/errors.js';
import { fsyncDir } from '../util/atomic.js';
import { defaultCacheDir, fileSize, tempPathFor } from './cache.js';
import { deriveSeed, permutation } from '../util/rng.js';
import { checkLimit, checkSeed, DEFAULT_SEED } from './split.js';
import { readTar, type TarSink } from './tar.js';
import type { Dataset, LoadOptions, Split } from './types.js';

/** proxy-from-env ships no types: the one function used. */
const { getProxyForUrl } = createRequire(import.meta.url)('proxy-from-env') as { getProxyForUrl(url: string): string };

export const CIFAR10_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
export const CIFAR10_MD5 = 'c32a1d4ab5d03f1284b67883e8d87530';
export const CIFAR10_ARCHIVE_NAME = 'cifar-10-binary.tar.gz';
export const CIFAR10_DIR_NAME = 'cifar10';
export const CIFAR10_TRAIN_FILES = [
  'data_batch_1.bin',
  'data_batch_2.bin',
  'data_batch_3.bin',
  'data_batch_4.bin',
  'data_batch_5.bin',
] as const;
export const CIFAR10_TEST_FILE = 'test_batch.bin';
export const CIFAR10_FILES = [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE] as const;
export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const;
/** Per-channel (R, G, B) mean and std of CIFAR-10 pixels in [0,1]. */
export const CIFAR10_MEAN = [0.4914, 0.4822, 0.4465] as const;
export const CIFAR10_STD = [0.247, 0.2435, 0.2616] as const;

/** One record: 1 label byte, then 1024 R, 1024 G, 1024 B bytes (row-major 32x32). */
export const CIFAR10_RECORD_BYTES = 1 + 3 * 1024;
const PIXELS = 32 * 32;
/** Abort a download after this long without receiving a byte. */
const IDLE_TIMEOUT_MS = 60_000;

type Progress = LoadOptions['onProgress'];

function cifarSource(): { url: string; md5: string } {
  const url = process.env.RESNET_TUTOR_CIFAR10_URL?.trim() || CIFAR10_URL;
  const md5 = process.env.RESNET_TUTOR_CIFAR10_MD5?.trim().toLowerCase() || CIFAR10_MD5;
  return { url, md5 };
}

/** True when `dir` holds all six batch files, each a whole number of records. */
export async function hasCifar10Files(dir: string): Promise<boolean> {
  for (const f of CIFAR10_FILES) {
    const size = await fileSize(join(dir, f));
    if (!size || size % CIFAR10_RECORD_BYTES !== 0) return false;
  }
  return true;
}

/**
 * Makes sure `<cacheDir>/cifar10/` holds the six batch files: uses them if present, else extracts
 * `<cacheDir>/cifar-10-binary.tar.gz` if the user put it there, else downloads the archive.
 * Returns the folder.
 */
export async function ensureCifar10Files(opts: Pick<LoadOptions, 'cacheDir' | 'onProgress'> = {}): Promise<string> {
  const cacheDir = resolve(opts.cacheDir ?? defaultCacheDir());
  const dir = join(cacheDir, CIFAR10_DIR_NAME);
  if (await hasCifar10Files(dir)) return dir;

  const { url, md5 } = cifarSource();
  await ensureWritable(cacheDir);

  const handPlaced = join(cacheDir, CIFAR10_ARCHIVE_NAME);
  if ((await fileSize(handPlaced)) !== undefined) {
    const actual = await md5OfFile(handPlaced);
    if (actual !== md5) {
      throw new UserError(
        `The CIFAR-10 archive ${handPlaced} does not have the expected checksum (expected md5 ${md5}, ` +
          `actual md5 ${actual}); it is probably incomplete or a different file. It was left in place: ` +
          `delete it to let resnet-tutor download the archive from ${url}, or replace it with a complete copy.`,
      );
    }
    await extractCifar10(handPlaced, cacheDir, dir, opts.onProgress);
    return dir;
  }

  const tmp = tempPathFor(join(cacheDir, CIFAR10_ARCHIVE_NAME), 'part');
  try {
    const actual = await download(url, tmp, cacheDir, opts.onProgress);
    if (actual !== md5) {
      await rm(tmp, { force: true });
      throw new UserError(
        `The CIFAR-10 archive downloaded from ${url} (saved as ${tmp}) does not have the expected checksum: ` +
          `expected md5 ${md5}, actual md5 ${actual}. The partial file was removed. The download was ` +
          'probably cut short or altered on the way; run the command again to retry, or download the file ' +
          `by hand and put it at ${handPlaced}.`,
      );
    }
    await extractCifar10(tmp, cacheDir, dir, opts.onProgress);
  } finally {
    await rm(tmp, { force: true }).catch(() => undefined);
  }
  return dir;
}

async function ensureWritable(cacheDir: string): Promise<void> {
  try {
    await mkdir(cacheDir, { recursive: true });
    const probe = tempPathFor(join(cacheDir, '.write-test'));
    const fh = await open(probe, 'wx');
    await fh.close();
    await rm(probe, { force: true });
  } catch (err) {
    throw new UserError(
      `CIFAR-10 has to be stored once in the cache folder ${cacheDir}, but that folder cannot be written ` +
        `(${(err as NodeJS.ErrnoException).code ?? (err as Error).message}). Make it writable, or point ` +
        'XDG_CACHE_HOME at a writable folder (the cache then lives in $XDG_CACHE_HOME/resnet-tutor).',
    );
  }
}

function offlineError(url: string, cacheDir: string, reason: string): UserError {
  return new UserError(
    `CIFAR-10 must be downloaded once (about 163 MB) from ${url}, and the download failed: ${reason}. ` +
      'To fix it, run the same command once on a machine or in a session that has network access (the ' +
      `data is then kept in ${join(cacheDir, CIFAR10_DIR_NAME)}), or download the file by hand and put it at ` +
      `${join(cacheDir, CIFAR10_ARCHIVE_NAME)}, or extract its six .bin files (data_batch_1.bin to ` +
      `data_batch_5.bin and test_batch.bin) into ${join(cacheDir, CIFAR10_DIR_NAME)}/, or set ` +
      'RESNET_TUTOR_CIFAR10_URL to a local copy (a path or a file:// URL).',
  );
}

/**
 * The proxy for `url` as curl and pip choose it: HTTPS_PROXY for https, HTTP_PROXY for http (the
 * lower-case forms first), ALL_PROXY otherwise, and none for a host NO_PROXY lists (a name, a
 * domain suffix such as .example.org, host:port, or * for all). Decided by proxy-from-env; null
 * when there is none. `shown` is the proxy without its password, for messages.
 */
function proxyFor(url: string): { url: string; shown: string } | null {
  const proxy = getProxyForUrl(url);
  if (!proxy) return null;
  let shown = proxy;
  try {
    const u = new URL(proxy);
    if (u.password) u.password = '***';
    shown = u.toString().replace(/\/$/, '');
  } catch {
    // Not a URL: undici says so when it tries it.
  }
  return { url: proxy, shown };
}

/** Node's own fetch (20-24) ignores the proxy variables, so proxied downloads go through undici's ProxyAgent. */
async function fetchThroughProxy(
  url: string,
  proxy: { url: string; shown: string },
  init: { signal: AbortSignal; redirect: 'follow'; headers: Record<string, string> },
): Promise<Response> {
  const { ProxyAgent, fetch: proxiedFetch } = await import('undici');
  let dispatcher: InstanceType<typeof ProxyAgent>;
  try {
    dispatcher = new ProxyAgent(proxy.url);
  } catch (err) {
    throw new Error(`the proxy setting ${proxy.shown} is not usable (${(err as Error).message})`);
  }
  return (await proxiedFetch(url, { ...init, dispatcher })) as unknown as Response;
}

function describeError(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string }; code?: string };
  if (e?.name === 'AbortError') return `no data arrived for ${IDLE_TIMEOUT_MS / 1000} s`;
  if (e?.cause?.message === 'bad port') return 'bad port (fetch refuses to connect to that port number)';
  if (e?.cause?.message) return e.cause.message;
  if (e?.code && e.message) return e.message;
  return e?.message ?? String(err);
}

/** Streams `url` into `tmp` (created here), reporting progress; returns the md5 of the bytes. */
async function download(url: string, tmp: string, cacheDir: string, onProgress: Progress): Promise<string> {
  const label = 'Downloading CIFAR-10';
  const hash = createHash('md5');
  let fh: FileHandle | undefined;
  let done = 0;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const kick = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => controller.abort(), IDLE_TIMEOUT_MS);
  };
  try {
    let body: AsyncIterable<Uint8Array>;
    let total = 0;
    if (/^https?:\/\//i.test(url)) {
      kick();
      let res: Response;
      const proxy = proxyFor(url);
      try {
        const init = { signal: controller.signal, redirect: 'follow', headers: { 'accept-encoding': 'identity' } } as const;
        res = proxy ? await fetchThroughProxy(url, proxy, init) : await fetch(url, init);
      } catch (err) {
        throw offlineError(url, cacheDir, `${describeError(err)}${proxy ? ` (through the proxy ${proxy.shown})` : ''}`);
      }
      if (!res.ok || !res.body) {
        throw offlineError(url, cacheDir, `the server answered HTTP ${res.status} ${res.statusText}`.trim());
      }
      // With a Content-Encoding, fetch decodes the body and content-length no longer counts its bytes.
      const encoded = (res.headers.get('content-encoding') ?? 'identity') !== 'identity';
      total = encoded ? 0 : Number(res.headers.get('content-length')) || 0;
      body = res.body as unknown as AsyncIterable<Uint8Array>;
    } else {
      let path: string;
      try {
        path = /^file:/i.test(url) ? fileURLToPath(url) : isAbsolute(url) ? url : resolve(url);
      } catch (err) {
        throw offlineError(url, cacheDir, `it is not a usable URL or path (${(err as Error).message})`);
      }
      try {
        const s = await stat(path);
        if (!s.isFile()) throw new Error(`${path} is not a file`);
        total = s.size;
      } catch (err) {
        throw offlineError(url, cacheDir, describeError(err));
      }
      body = createReadStream(path);
    }
    fh = await open(tmp, 'wx');
    onProgress?.(0, total, label);
    try {
      for await (const chunk of body) {
        kick();
        hash.update(chunk);
        let off = 0;
        while (off < chunk.byteLength) {
          const { bytesWritten } = await fh.write(chunk, off, chunk.byteLength - off);
          off += bytesWritten;
        }
        done += chunk.byteLength;
        onProgress?.(done, total, label);
      }
    } catch (err) {
      if (err instanceof UserError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT') {
        throw new UserError(
          `The disk holding ${cacheDir} ran out of space while downloading CIFAR-10 (about 163 MB, plus ` +
            '~180 MB once extracted). Free some space, or point XDG_CACHE_HOME at a larger disk, and try again. ' +
            'The partial file was removed.',
        );
      }
      throw offlineError(url, cacheDir, `${describeError(err)} (after ${done} bytes; the partial file was removed)`);
    }
    if (total > 0 && done !== total) {
      throw offlineError(url, cacheDir, `the transfer ended after ${done} of ${total} bytes (the partial file was removed)`);
    }
    await fh.sync();
    return hash.digest('hex');
  } finally {
    if (timer) clearTimeout(timer);
    await fh?.close().catch(() => undefined);
  }
}

async function md5OfFile(path: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function* gunzipFile(path: string, onBytes: (n: number) => void): AsyncGenerator<Uint8Array> {
  const input = createReadStream(path);
  const gunzip = createGunzip();
  input.on('data', (c) => onBytes(c.length));
  input.on('error', (e) => gunzip.destroy(e));
  input.pipe(gunzip);
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } finally {
    input.destroy();
    gunzip.destroy();
  }
}

/**
 * Extracts the six batch files from `archive` into a staging folder, fsyncs them, then renames them
 * into `dir`. Nothing half-written is ever left under `dir`; the staging folder is always removed.
 */
async function extractCifar10(archive: string, cacheDir: string, dir: string, onProgress: Progress): Promise<void> {
  const label = 'Extracting CIFAR-10';
  const total = (await fileSize(archive)) ?? 0;
  const staging = tempPathFor(join(cacheDir, CIFAR10_DIR_NAME), 'extract');
  const wanted = new Set<string>(CIFAR10_FILES);
  const found = new Map<string, number>();
  const openFiles = new Set<FileHandle>();
  let read = 0;
  await mkdir(staging, { recursive: true });
  try {
    onProgress?.(0, total, label);
    try {
      await readTar(
        gunzipFile(archive, (n) => {
          read += n;
          onProgress?.(read, total, label);
        }),
        async (entry): Promise<TarSink | null> => {
          const base = basename(entry.name);
          if (entry.type !== 'file' || !wanted.has(base)) return null;
          const target = join(staging, base);
          const out = await open(target, 'w');
          openFiles.add(out);
          let size = 0;
          return {
            write: async (chunk) => {
              let off = 0;
              while (off < chunk.byteLength) {
                const { bytesWritten } = await out.write(chunk, off, chunk.byteLength - off);
                off += bytesWritten;
              }
              size += chunk.byteLength;
            },
            end: async () => {
              await out.sync();
              openFiles.delete(out);
              await out.close();
              found.set(base, size);
            },
          };
        },
      );
    } catch (err) {
      throw new UserError(
        `Could not extract the CIFAR-10 archive ${archive}: ${(err as Error).message}. The file is not a ` +
          'valid .tar.gz (it may be damaged); delete it and run the command again, or extract the six .bin ' +
          `files into ${dir}/ by hand.`,
      );
    }
    const missing = CIFAR10_FILES.filter((f) => {
      const size = found.get(f);
      return !size || size % CIFAR10_RECORD_BYTES !== 0;
    });
    if (missing.length > 0) {
      throw new UserError(
        `The archive ${archive} is not the CIFAR-10 binary version: ${missing.join(', ')} ` +
          `${missing.length === 1 ? 'is' : 'are'} missing or not a whole number of ${CIFAR10_RECORD_BYTES}-byte ` +
          `records. Use cifar-10-binary.tar.gz from ${CIFAR10_URL}.`,
      );
    }
    await mkdir(dir, { recursive: true });
    for (const f of CIFAR10_FILES) await rename(join(staging, f), join(dir, f));
    fsyncDir(dir);
  } finally {
    for (const fh of openFiles) await fh.close().catch(() => undefined); // an archive cut short
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Per-channel lookup tables byte -> (byte/255 - mean[c]) / std[c], channel-major (3 x 256). */
function channelLuts(): Float32Array {
  const lut = new Float32Array(3 * 256);
  for (const c of [0, 1, 2] as const) {
    for (let v = 0; v < 256; v++) lut[c * 256 + v] = (v / 255 - CIFAR10_MEAN[c]) / CIFAR10_STD[c];
  }
  return lut;
}

/** Records `order[0..count)` of `records` as NHWC float32 [32,32,3] plus labels. */
function gatherRecords(records: Uint8Array, order: ArrayLike<number>, count: number, lut: Float32Array): Split {
  const x = new Float32Array(count * PIXELS * 3);
  const y = new Uint8Array(count);
  // In range throughout: count <= order.length (the callers clamp it), order holds record numbers of
  // `records`, and a byte plus a channel offset c * 256 is < 3 * 256 = lut.length.
  for (let i = 0; i < count; i++) {
    const base = order[i]! * CIFAR10_RECORD_BYTES;
    y[i] = records[base]!;
    const out = i * PIXELS * 3;
    for (let c = 0; c < 3; c++) {
      const from = base + 1 + c * PIXELS;
      const l = c * 256;
      for (let p = 0; p < PIXELS; p++) x[out + p * 3 + c] = lut[l + records[from + p]!]!;
    }
  }
  return { x, y, n: count };
}

async function readRecords(dir: string, files: readonly string[]): Promise<Uint8Array> {
  const bufs: Buffer[] = [];
  for (const f of files) {
    const path = join(dir, f);
    const buf = await readFile(path);
    if (buf.length === 0 || buf.length % CIFAR10_RECORD_BYTES !== 0) {
      throw new UserError(
        `${path} is not a CIFAR-10 batch file (its size, ${buf.length} bytes, is not a whole number of ` +
          `${CIFAR10_RECORD_BYTES}-byte records). Delete the folder ${dir} to have it downloaded again.`,
      );
    }
    for (let i = 0; i < buf.length; i += CIFAR10_RECORD_BYTES) {
      const label = buf[i]!; // i < buf.length
      if (label > 9) {
        throw new UserError(
          `${path} is not a CIFAR-10 batch file (record ${i / CIFAR10_RECORD_BYTES} has label ${label}, ` +
            `expected 0..9). Delete the folder ${dir} to have it downloaded again.`,
        );
      }
    }
    bufs.push(buf);
  }
  const [only, ...more] = bufs;
  return only !== undefined && more.length === 0 ? only : Buffer.concat(bufs);
}

/**
 * Loads CIFAR-10: training examples from the five data batches (a seeded shuffle, then the first
 * `trainLimit`), validation from test_batch (in file order, the first `valLimit`). Inputs are NHWC
 * [32,32,3], normalised per channel.
 */
export async function loadCifar10(opts: LoadOptions = {}): Promise<Dataset> {
  const trainLimit = checkLimit(opts.trainLimit, 'trainLimit');
  const valLimit = checkLimit(opts.valLimit, 'valLimit');
  const seed = checkSeed(opts.seed, DEFAULT_SEED);
  const dir = await ensureCifar10Files(opts);
  const trainRecords = await readRecords(dir, CIFAR10_TRAIN_FILES);
  const valRecords = await readRecords(dir, [CIFAR10_TEST_FILE]);
  const nTrain = trainRecords.length / CIFAR10_RECORD_BYTES;
  const nVal = valRecords.length / CIFAR10_RECORD_BYTES;
  const lut = channelLuts();
  const trainOrder = permutation(nTrain, deriveSeed(seed, 'cifar10', 'split'));
  const valOrder = new Uint32Array(nVal).map((_, i) => i);
  return {
    name: 'cifar10',
    inputShape: [32, 32, 3],
    task: 'classification',
    numClasses: 10,
    classNames: CIFAR10_CLASSES,
    train: gatherRecords(trainRecords, trainOrder, Math.min(trainLimit, nTrain), lut),
    val: gatherRecords(valRecords, valOrder, Math.min(valLimit, nVal), lut),
  };
}
