import { createHash } from 'node:crypto';
import { closeSync, constants, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import { architectureDiff, architectureOf, type ModelConfig, type TrainConfig } from '../contracts/train-config.js';
import type { TrainerState } from '../contracts/run-folder.js';
import { fsyncDir, writeAndSync } from '../util/atomic.js';
import { processAlive } from './lock.js';

/**
 * Checkpoints: `ckpt-<step>/` holding `weights.bin` (every tensor, float32 little-endian, one after the
 * other: weights, BatchNorm statistics, optimiser slots) and `manifest.json` (format version, config,
 * counters, tensor index, checksums). Written under a temporary name and renamed, so a folder named
 * `ckpt-<step>` is always complete; a damaged one is detected by its checksum and skipped.
 */
export const CHECKPOINT_FORMAT = 1;
const PREFIX = 'ckpt-';
const MANIFEST = 'manifest.json';
/** sha256 (hex) of manifest.json's bytes. Checkpoints written before it existed have none and are checked without. */
const MANIFEST_SUM = 'manifest.sha256';

export interface CheckpointManifest {
  readonly format: number;
  readonly step: number;
  readonly epoch: number;
  readonly config: TrainConfig;
  readonly architecture: ModelConfig;
  readonly optimizerSteps: number;
  readonly interval: TrainerState['interval'];
  /** Data order is a pure function of (seed, step): recorded to make that explicit. */
  readonly dataOrder: { readonly seed: number; readonly step: number };
  readonly tensors: readonly { name: string; shape: number[]; offset: number; length: number }[];
  readonly weights: { readonly bytes: number; readonly sha256: string };
  readonly created: string;
}

export interface LoadedCheckpoint {
  readonly path: string;
  readonly manifest: CheckpointManifest;
  readonly state: TrainerState;
  /** Newer checkpoints that were skipped, and why. */
  readonly skipped: readonly string[];
}

export function saveCheckpoint(runDir: string, state: TrainerState, config: TrainConfig, epoch: number, keep: number): string {
  const entries = Object.entries(state.tensors);
  let total = 0;
  const placed = entries.map(([name, t]) => {
    const item = { name, shape: t.shape, offset: total, length: t.values.length };
    total += t.values.length;
    return { item, values: t.values };
  });
  const index = placed.map((p) => p.item);
  const all = new Float32Array(total);
  for (const { item, values } of placed) all.set(values, item.offset);
  const bytes = new Uint8Array(all.buffer, all.byteOffset, all.byteLength);
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT,
    step: state.step,
    epoch,
    config,
    architecture: architectureOf(config),
    optimizerSteps: state.optimizerSteps,
    interval: state.interval,
    dataOrder: { seed: config.seed, step: state.step },
    tensors: index,
    weights: { bytes: bytes.byteLength, sha256: sha256(bytes) },
    created: new Date().toISOString(),
  };
  const final = join(runDir, `${PREFIX}${state.step}`);
  const tmp = join(runDir, `.tmp-${PREFIX}${state.step}-${process.pid}-${Date.now()}`);
  try {
    mkdirSync(tmp);
    writeAndSync(join(tmp, 'weights.bin'), bytes);
    const manifestText = `${JSON.stringify(manifest, null, 1)}\n`;
    writeAndSync(join(tmp, MANIFEST), manifestText);
    // The manifest's own checksum: one flipped bit in "step" or an offset is caught like one in the weights.
    writeAndSync(join(tmp, MANIFEST_SUM), `${sha256(Buffer.from(manifestText))}\n`);
    fsyncDir(tmp);
    if (existsSync(final)) {
      // Same step saved again (e.g. a stop right after a periodic checkpoint): swap, never delete first.
      const old = `${final}.old-${Date.now()}`;
      renameSync(final, old);
      renameSync(tmp, final);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, final);
    }
    fsyncDir(runDir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  pruneCheckpoints(runDir, keep);
  return final;
}

/** Steps of the complete checkpoints in a run folder, newest first. */
export function listCheckpoints(runDir: string): number[] {
  if (!existsSync(runDir)) return [];
  return readdirSync(runDir)
    .filter((n) => new RegExp(`^${PREFIX}\\d+$`).test(n))
    .map((n) => Number(n.slice(PREFIX.length)))
    .sort((a, b) => b - a);
}

function pruneCheckpoints(runDir: string, keep: number): void {
  for (const step of listCheckpoints(runDir).slice(keep)) {
    rmSync(join(runDir, `${PREFIX}${step}`), { recursive: true, force: true });
  }
  // Leftovers of a save that was killed midway: only those whose writer is gone (the run lock keeps
  // a second writer out, but a folder of a live process is never removed).
  for (const name of readdirSync(runDir)) {
    if (name.startsWith(`.tmp-${PREFIX}`)) {
      const pid = Number(name.split('-')[3]);
      if (pid !== process.pid && !processAlive(pid)) rmSync(join(runDir, name), { recursive: true, force: true });
    }
  }
}

/**
 * The newest checkpoint that reads back intact. Damaged ones (truncated, bad checksum, unreadable
 * manifest) are skipped and listed; a foreign one (other architecture, unknown format) stops the load
 * with a UserError saying what differs, because silently training something else would be worse.
 */
export function loadNewestCheckpoint(runDir: string, expected: ModelConfig): LoadedCheckpoint | null {
  const skipped: string[] = [];
  for (const step of listCheckpoints(runDir)) {
    const path = join(runDir, `${PREFIX}${step}`);
    const read = readCheckpoint(path, step, expected);
    if (typeof read === 'string') {
      skipped.push(`${path}: ${read}`);
      continue;
    }
    return { path, manifest: read.manifest, skipped, state: read.state };
  }
  if (skipped.length > 0) {
    throw new UserError(
      `No usable checkpoint in ${runDir}: ${skipped.join('; ')}. The run cannot be resumed; start it again with \`resnet-tutor train\`.`,
    );
  }
  return null;
}

/**
 * One checkpoint folder read back and checked, or why it is damaged (a string). Nothing is read
 * whole before its size is known to match the manifest.
 */
function readCheckpoint(path: string, step: number, expected: ModelConfig): { manifest: CheckpointManifest; state: TrainerState } | string {
  let text: Buffer;
  try {
    text = readBounded(join(path, MANIFEST), MAX_MANIFEST_BYTES);
  } catch (err) {
    return `manifest unreadable (${(err as Error).message})`;
  }
  const sumFile = join(path, MANIFEST_SUM);
  if (existsSync(sumFile)) {
    let sum: string;
    try {
      sum = readBounded(sumFile, 200).toString('utf8').trim();
    } catch (err) {
      return `manifest checksum unreadable (${(err as Error).message})`;
    }
    if (sum !== sha256(text)) return 'manifest.json checksum mismatch (corrupt)';
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.toString('utf8'));
  } catch (err) {
    return `manifest unreadable (${(err as Error).message})`;
  }
  if (isRecord(parsed) && parsed.format !== CHECKPOINT_FORMAT && typeof parsed.format === 'number') {
    throw new UserError(
      `Checkpoint ${path} has format version ${String(parsed.format)}, but this resnet-tutor reads version ${CHECKPOINT_FORMAT}. Use the resnet-tutor version that wrote it, or start a new run.`,
    );
  }
  const problem = manifestProblem(parsed, step);
  if (problem) return `manifest malformed (${problem})`;
  const manifest = parsed as CheckpointManifest;
  const diff = architectureDiff(expected, manifest.architecture);
  if (diff.length > 0) {
    throw new UserError(
      `Checkpoint ${path} belongs to a different network (${diff.join('; ')}; run vs checkpoint). Resume the run it belongs to, or start a new run with \`resnet-tutor train\`.`,
    );
  }
  let bytes: Buffer;
  try {
    bytes = readBounded(join(path, 'weights.bin'), manifest.weights.bytes);
  } catch (err) {
    return (err as Error).message.startsWith('is ')
      ? `weights.bin ${(err as Error).message}`
      : `weights unreadable (${(err as Error).message})`;
  }
  if (bytes.byteLength !== manifest.weights.bytes) {
    return `weights.bin is ${bytes.byteLength} bytes, expected ${manifest.weights.bytes} (truncated)`;
  }
  if (sha256(bytes) !== manifest.weights.sha256) return 'weights.bin checksum mismatch (corrupt)';
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const tensors: TrainerState['tensors'] = {};
  for (const t of manifest.tensors) tensors[t.name] = { shape: t.shape, values: all.subarray(t.offset, t.offset + t.length) };
  return {
    manifest,
    state: { step: manifest.step, optimizerSteps: manifest.optimizerSteps, interval: manifest.interval, tensors },
  };
}

/** A manifest is small (a tensor index); anything bigger is not one. */
const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

/**
 * Reads a regular file of at most `limit` bytes through one descriptor (size checked by fstat before
 * reading, so a 2 GB file is refused without being read). Throws "is N bytes, expected ..." when larger.
 */
function readBounded(file: string, limit: number): Buffer {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > limit) throw new Error(`is ${st.size} bytes, expected ${limit} (not this checkpoint's)`);
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * What is wrong with a parsed manifest, or null: every field the loader uses has its type, the step
 * agrees with the folder name and the data-order record, and the tensor index lies inside weights.bin
 * without overlaps.
 */
function manifestProblem(m: unknown, folderStep: number): string | null {
  if (!isRecord(m)) return 'not an object';
  if (m.step !== folderStep) return `step ${String(m.step)} does not match the folder name (step ${folderStep})`;
  if (!isRecord(m.dataOrder) || m.dataOrder.step !== folderStep)
    return `data-order step ${String(isRecord(m.dataOrder) ? m.dataOrder.step : undefined)} does not match step ${folderStep}`;
  if (isRecord(m.config) && m.dataOrder.seed !== m.config.seed) return 'data-order seed does not match the config seed';
  if (!isRecord(m.architecture)) return 'no architecture';
  if (!isCount(m.optimizerSteps)) return 'no optimizer step count';
  const iv = m.interval;
  if (!isRecord(iv) || typeof iv.lossSum !== 'number' || typeof iv.accuracySum !== 'number' || !isCount(iv.count))
    return 'no interval counters';
  if (
    !isRecord(m.weights) ||
    !isCount(m.weights.bytes) ||
    typeof m.weights.sha256 !== 'string' ||
    !/^[0-9a-f]{64}$/.test(m.weights.sha256)
  ) {
    return 'no weights size and checksum';
  }
  if (m.weights.bytes % 4 !== 0) return 'weights size is not a whole number of float32 values';
  const floats = m.weights.bytes / 4;
  if (!Array.isArray(m.tensors) || m.tensors.length === 0) return 'no tensor index';
  const names = new Set<string>();
  const spans: [number, number][] = [];
  for (const t of m.tensors as unknown[]) {
    if (!isRecord(t) || typeof t.name !== 'string' || !Array.isArray(t.shape) || !t.shape.every(isCount))
      return 'a tensor entry without name or shape';
    if (!isCount(t.offset) || !isCount(t.length)) return `tensor ${t.name} has no offset or length`;
    if ((t.shape as number[]).reduce((a, b) => a * b, 1) !== t.length) return `tensor ${t.name}'s length does not match its shape`;
    if (t.offset + t.length > floats) return `tensor ${t.name} lies outside weights.bin`;
    if (names.has(t.name)) return `tensor ${t.name} is listed twice`;
    names.add(t.name);
    spans.push([t.offset, t.offset + t.length]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) if (spans[i]![0] < spans[i - 1]![1]) return 'tensors overlap in weights.bin';
  return null;
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
