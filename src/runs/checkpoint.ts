import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { architectureDiff, architectureOf, type ModelConfig, type TrainConfig } from '../engine/config.js';
import type { TrainerState } from '../engine/trainer.js';
import { fsyncDir, writeAndSync } from './atomic.js';

/**
 * Checkpoints: `ckpt-<step>/` holding `weights.bin` (every tensor, float32 little-endian, one after the
 * other: weights, BatchNorm statistics, optimiser slots) and `manifest.json` (format version, config,
 * counters, tensor index, checksums). Written under a temporary name and renamed, so a folder named
 * `ckpt-<step>` is always complete; a damaged one is detected by its checksum and skipped.
 */
export const CHECKPOINT_FORMAT = 1;
const PREFIX = 'ckpt-';

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
  const index = entries.map(([name, t]) => {
    const item = { name, shape: t.shape, offset: total, length: t.values.length };
    total += t.values.length;
    return item;
  });
  const all = new Float32Array(total);
  for (const [i, [, t]] of entries.entries()) all.set(t.values, index[i].offset);
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
    writeAndSync(join(tmp, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
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
  // Leftovers of a save that was killed midway.
  for (const name of readdirSync(runDir)) {
    if (name.startsWith(`.tmp-${PREFIX}`)) {
      const pid = Number(name.split('-')[3]);
      if (pid !== process.pid) rmSync(join(runDir, name), { recursive: true, force: true });
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
    let manifest: CheckpointManifest;
    try {
      manifest = JSON.parse(readFileSync(join(path, 'manifest.json'), 'utf8')) as CheckpointManifest;
    } catch (err) {
      skipped.push(`${path}: manifest unreadable (${(err as Error).message})`);
      continue;
    }
    if (manifest.format !== CHECKPOINT_FORMAT) {
      throw new UserError(
        `Checkpoint ${path} has format version ${String(manifest.format)}, but this resnet-tutor reads version ${CHECKPOINT_FORMAT}. Use the resnet-tutor version that wrote it, or start a new run.`,
      );
    }
    const diff = architectureDiff(expected, manifest.architecture);
    if (diff.length > 0) {
      throw new UserError(
        `Checkpoint ${path} belongs to a different network (${diff.join('; ')}; run vs checkpoint). Resume the run it belongs to, or start a new run with \`resnet-tutor train\`.`,
      );
    }
    let bytes: Buffer;
    try {
      bytes = readFileSync(join(path, 'weights.bin'));
    } catch (err) {
      skipped.push(`${path}: weights unreadable (${(err as Error).message})`);
      continue;
    }
    if (bytes.byteLength !== manifest.weights.bytes) {
      skipped.push(`${path}: weights.bin is ${bytes.byteLength} bytes, expected ${manifest.weights.bytes} (truncated)`);
      continue;
    }
    if (sha256(bytes) !== manifest.weights.sha256) {
      skipped.push(`${path}: weights.bin checksum mismatch (corrupt)`);
      continue;
    }
    const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const tensors: TrainerState['tensors'] = {};
    for (const t of manifest.tensors) {
      tensors[t.name] = { shape: t.shape, values: all.subarray(t.offset, t.offset + t.length) };
    }
    return {
      path,
      manifest,
      skipped,
      state: { step: manifest.step, optimizerSteps: manifest.optimizerSteps, interval: manifest.interval, tensors },
    };
  }
  if (skipped.length > 0) {
    throw new UserError(
      `No usable checkpoint in ${runDir}: ${skipped.join('; ')}. The run cannot be resumed; start it again with \`resnet-tutor train\`.`,
    );
  }
  return null;
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
