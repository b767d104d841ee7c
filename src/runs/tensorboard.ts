import { appendFileSync, closeSync, lstatSync, mkdirSync, openSync, readFileSync, readdirSync, truncateSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import type { MetricsLine } from '../contracts/run-folder.js';
import { writeFileAtomic } from '../util/atomic.js';
import { encodeEvent, scanRecords, tfRecord, type Scalar } from './tensorboard-encode.js';

/**
 * TensorBoard event files for run folders (docs/run-folder.md): written as training goes, from the
 * same metrics lines as metrics.jsonl, so `tensorboard --logdir <run-dir>` (and W&B's TensorBoard
 * sync) shows every run. metrics.jsonl stays the record; the event files are a view of it, and
 * `report <run> --tensorboard DIR` rebuilds that view from metrics.jsonl at any time.
 */

/** TensorBoard reads a file as events when its name contains "tfevents". */
export const EVENTS_MARK = 'tfevents';

export function isEventFile(name: string): boolean {
  return name.startsWith('events.out.') && name.includes(EVENTS_MARK);
}

/**
 * The scalars of one metrics line, grouped by tag prefix as TensorBoard shows them. Values stored as
 * null (NaN or infinite in the run) are written as NaN; fields the line does not have are left out.
 */
export function scalarsOf(line: MetricsLine, units: readonly string[]): Scalar[] {
  const out: Scalar[] = [];
  const add = (tag: string, v: number | null | undefined) => {
    if (v !== undefined) out.push({ tag, value: typeof v === 'number' ? v : NaN });
  };
  add('loss/train', line.loss);
  add('loss/validation', line.valLoss);
  add('accuracy/train', line.accuracy);
  add('accuracy/validation', line.valAccuracy);
  add('learning_rate', line.lr);
  add('epoch', line.epoch);
  add('samples_per_second', line.samplesPerSecond);
  (line.gradNorms ?? []).forEach((v, i) => add(`grad_norm/${units[i] ?? `unit${i}`}`, v));
  (line.activationVariances ?? []).forEach((v, i) => add(`activation_variance/${units[i] ?? `unit${i}`}`, v));
  return out;
}

/** Seconds since 1970 of the line's time (the time it was logged), else now. */
function wallTimeOf(line: MetricsLine): number {
  const t = Date.parse(line.time);
  return (Number.isFinite(t) ? t : Date.now()) / 1000;
}

function recordsOf(lines: readonly MetricsLine[], units: readonly string[]): Buffer {
  return Buffer.concat(lines.map((l) => tfRecord(encodeEvent(wallTimeOf(l), l.step, { kind: 'scalars', scalars: scalarsOf(l, units) }))));
}

/** A whole event file: the file_version record, then one record per metrics line. */
export function eventFileBytes(lines: readonly MetricsLine[], units: readonly string[], wallTime: number): Buffer {
  return Buffer.concat([tfRecord(encodeEvent(wallTime, 0, { kind: 'fileVersion' })), recordsOf(lines, units)]);
}

/** `events.out.tfevents.<seconds>.<host>.<pid>.<n>`, TensorFlow's own pattern (unique per process and file). */
function eventFileName(seconds: number, n: number): string {
  const host = hostname().replace(/[^A-Za-z0-9.-]/g, '_') || 'localhost';
  return `events.out.${EVENTS_MARK}.${Math.floor(seconds)}.${host}.${process.pid}.${n}`;
}

interface LiveFile {
  readonly path: string;
  readonly units: readonly string[];
}

/** The event file this process appends to, per run folder: each process (a start, each resume) writes its own. */
const live = new Map<string, LiveFile | 'off'>();
let created = 0;

/**
 * Appends the lines' events to this process's event file in `runPath` (created on the first call,
 * with a SessionLog START when an earlier file exists, so a TensorBoard that is open drops any step
 * a resume writes again). One write per call, like metrics.jsonl. A failure turns the event file off
 * for the rest of this process and is returned as a warning: metrics.jsonl is the record, and
 * `report --tensorboard` rebuilds the events from it.
 */
export function appendEvents(runPath: string, lines: readonly MetricsLine[], units: () => readonly string[]): string | null {
  if (lines.length === 0) return null;
  let file = live.get(runPath);
  if (file === 'off') return null;
  try {
    if (!file) {
      const earlier = listEventFiles(runPath).length > 0;
      const now = Date.now() / 1000;
      const path = join(runPath, eventFileName(now, ++created));
      const head = [tfRecord(encodeEvent(now, 0, { kind: 'fileVersion' }))];
      if (earlier) head.push(tfRecord(encodeEvent(now, lines[0]!.step, { kind: 'start' })));
      writeExclusive(path, Buffer.concat(head));
      file = { path, units: [...units()] };
      live.set(runPath, file);
    }
    appendFileSync(file.path, recordsOf(lines, file.units));
    return null;
  } catch (err) {
    live.set(runPath, 'off');
    return `TensorBoard event file in ${runPath} could not be written (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); training goes on and metrics.jsonl is complete: rebuild the event file later with \`resnet-tutor report <run> --tensorboard DIR\`.`;
  }
}

/** Forgets this process's event files (tests; a run folder that is started again in one process). */
export function closeEventFiles(): void {
  live.clear();
}

function writeExclusive(path: string, data: Buffer): void {
  const fd = openSync(path, 'wx', 0o644);
  try {
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
  } finally {
    closeSync(fd);
  }
}

function listEventFiles(runPath: string): string[] {
  try {
    return readdirSync(runPath).filter(isEventFile).sort();
  } catch {
    return [];
  }
}

/**
 * Before a resume from the checkpoint at `step`: cuts every event file back to its records up to
 * `step` (and before any torn or corrupt record), as trimMetrics does for metrics.jsonl, so no step
 * appears twice once the resumed run writes it again. The event files are a view of metrics.jsonl,
 * so what is cut is either written again by the resume or kept in metrics.jsonl.
 */
export function trimEvents(runPath: string, step: number): void {
  for (const name of listEventFiles(runPath)) {
    const path = join(runPath, name);
    try {
      if (!lstatSync(path).isFile()) continue;
      const bytes = readFileSync(path);
      const records = scanRecords(bytes);
      let keep = 0;
      for (const r of records) {
        if (r.step > step) break;
        keep = r.end;
      }
      if (keep < bytes.length) truncateSync(path, keep);
    } catch {
      // A view only: an unreadable event file is left as it is, and the resume goes on.
    }
  }
}

/**
 * `report <run> --tensorboard DIR`: writes DIR/<run id>/ with one event file built from the run's
 * metrics.jsonl. Its name depends only on the run, so exporting again replaces it (atomically)
 * rather than adding a second copy of every step.
 */
export function exportEvents(
  dir: string,
  info: { readonly id: string; readonly created: string; readonly units?: readonly string[] },
  lines: readonly MetricsLine[],
): string {
  const folder = join(dir, info.id);
  try {
    mkdirSync(folder, { recursive: true });
  } catch (err) {
    throw new UserError(
      `--tensorboard: cannot create ${folder} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}). Give a writable folder.`,
    );
  }
  const created = Date.parse(info.created);
  const seconds = (Number.isFinite(created) ? created : Date.now()) / 1000;
  const path = join(folder, `events.out.${EVENTS_MARK}.${Math.floor(seconds)}.resnet-tutor-export`);
  refuseSymlink(path, '--tensorboard');
  try {
    writeFileAtomic(path, eventFileBytes(lines, info.units ?? [], seconds));
  } catch (err) {
    throw new UserError(
      `--tensorboard: cannot write ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}). Give a writable folder with free space.`,
    );
  }
  return path;
}

/** A UserError when `path` is a symbolic link: an export replaces files, never what a link points at. */
export function refuseSymlink(path: string, flag: string): void {
  let link = false;
  try {
    link = lstatSync(path).isSymbolicLink();
  } catch {
    return; // absent: fine
  }
  if (link)
    throw new UserError(
      `${flag}: ${path} is a symbolic link; resnet-tutor will not write through it. Remove the link or give another path.`,
    );
}
