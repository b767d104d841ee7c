import {
  appendFileSync,
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { UserError } from '../util/errors.js';
import { describeModel, type TrainConfig } from '../contracts/train-config.js';
import type { BackendSummary, MetricsLine, RunStatus } from '../contracts/run-folder.js';
import { fsyncDir, writeFileAtomic } from '../util/atomic.js';
import { processAlive } from './lock.js';
import { appendEvents, trimEvents } from './tensorboard.js';
import { lessonRunsDir } from './lesson-root.js';

/** The run-folder contract (docs/run-folder.md): run.json, metrics.jsonl, ckpt-<step>/, event files. */
export interface RunInfo {
  /** The run-folder format (docs/run-folder.md); absent in files older than the field: version 1. */
  readonly formatVersion?: number;
  readonly id: string;
  readonly config: TrainConfig;
  readonly status: RunStatus;
  readonly created: string;
  readonly updated: string;
  readonly step: number;
  readonly totalSteps: number | null;
  readonly stepsPerEpoch: number | null;
  /** Names of the units that gradNorms and activationVariances are listed for, input side first. */
  readonly units: readonly string[];
  readonly backend: BackendSummary | null;
  readonly versions: Readonly<Record<string, string>>;
  readonly lastCheckpoint: number | null;
  readonly bestValAccuracy: number | null;
  readonly lastValLoss: number | null;
  /** Why the run stopped when it did not complete. */
  readonly reason?: string;
  readonly divergence?: { step: number; where: string; what: string };
}

export const RUN_FILE = 'run.json';
export const METRICS_FILE = 'metrics.jsonl';

/**
 * The run-folder format this program writes, and the newest it reads (docs/run-folder.md). Written as
 * `formatVersion` in run.json and in every metrics line; a file without it is version 1. Raise it
 * only for a change an older reader would misread, and keep reading every older version.
 */
export const RUN_FORMAT_VERSION = 1;

/**
 * The format version of a parsed run.json or metrics line: null when the field is absent (version
 * 1), a UserError when it is newer than this program reads, a string (the damage) when malformed.
 */
export function formatVersionProblem(record: Record<string, unknown>, file: string): string | null {
  const v = record.formatVersion;
  if (v === undefined) return null;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
    return `"formatVersion" is ${JSON.stringify(v)}, expected a whole number from 1`;
  if (v > RUN_FORMAT_VERSION) {
    throw new UserError(
      `${file} was written by a newer resnet-tutor (run-folder format ${v}; this version reads formats up to ${RUN_FORMAT_VERSION}). Upgrade resnet-tutor (\`npm install -g resnet-tutor@latest\`) to read this run; nothing was changed.`,
    );
  }
  return null;
}

/** Creates `<root>/<id>/` and its run.json; the id reads like "20261128-183012-cnn-residual-bn-d20". */
export function createRunDir(
  root: string,
  config: TrainConfig,
  versions: Record<string, string>,
  name?: string,
): { id: string; path: string } {
  if (name !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(name)) {
    throw new UserError(`--name must be letters, digits, '.', '_' or '-' (at most 100, not starting with '.' or '-'); got "${name}".`);
  }
  if (name !== undefined && existsSync(join(root, name, RUN_FILE))) {
    throw new UserError(
      `A run named "${name}" already exists in ${root}. Continue it with \`resnet-tutor resume ${name}\`, or choose another --name.`,
    );
  }
  if (name !== undefined && existsSync(join(root, name)) && !isEmptyDir(join(root, name))) {
    throw new UserError(
      `${join(root, name)} exists but is not a run folder (no ${RUN_FILE}, not empty); resnet-tutor will not write into it. Move it away, or choose another --name.`,
    );
  }
  try {
    mkdirSync(root, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'it, or a folder above it, is a file' : (code ?? (err as Error).message);
    throw new UserError(`Cannot create the run directory ${root} (${why}). Choose a writable folder with --run-dir DIR.`);
  }
  removeDeadTemps(root, TMP_RUN);
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const base = name ?? `${stamp}-${config.net}-${config.arch}-d${config.depth}`;
  const now = new Date().toISOString();
  // The folder and its first run.json appear together: built under a temporary name, then renamed
  // into place. A kill or a full disk at any instant leaves either no run folder or a complete one
  // (and at worst a .tmp-run-* folder, removed by the next creation once its process is gone).
  const tmp = join(root, `${TMP_RUN}${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  for (let i = 1; ; i++) {
    const id = i === 1 ? base : `${base}-${i}`;
    const path = join(root, id);
    if (existsSync(path) && !(name !== undefined && isEmptyDir(path))) {
      if (name !== undefined)
        throw new UserError(
          `A run named "${name}" already exists in ${root}. Continue it with \`resnet-tutor resume ${name}\`, or choose another --name.`,
        );
      continue;
    }
    try {
      mkdirSync(tmp);
      writeRunInfo(tmp, {
        id,
        config,
        status: 'running',
        created: now,
        updated: now,
        step: 0,
        totalSteps: null,
        stepsPerEpoch: null,
        units: [],
        backend: null,
        versions,
        lastCheckpoint: null,
        bestValAccuracy: null,
        lastValLoss: null,
      });
      // Replaces only an empty folder (a half-made one an older version left behind), never a run.
      renameSync(tmp, path);
      fsyncDir(root);
      return { id, path };
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      const code = (err as NodeJS.ErrnoException).code;
      if ((code === 'ENOTEMPTY' || code === 'EEXIST') && name === undefined) continue; // another run took this id
      if (code === 'ENOTEMPTY' || code === 'EEXIST') {
        throw new UserError(
          `A run named "${name}" already exists in ${root}. Continue it with \`resnet-tutor resume ${name}\`, or choose another --name.`,
        );
      }
      throw new UserError(
        `Cannot write in the run directory ${root} (${code ?? (err as Error).message}). Choose a writable folder with --run-dir DIR, or free space.`,
      );
    }
  }
}

const TMP_RUN = '.tmp-run-';

function isEmptyDir(path: string): boolean {
  try {
    return statSync(path).isDirectory() && readdirSync(path).length === 0;
  } catch {
    return false;
  }
}

/** Removes `<dir>/<prefix><pid>-*` entries whose process is gone (leftovers of a kill mid-write). */
export function removeDeadTemps(dir: string, prefix: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    if (!n.startsWith(prefix)) continue;
    const pid = Number(n.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && pid !== process.pid && !processAlive(pid)) rmSync(join(dir, n), { recursive: true, force: true });
  }
}

export function writeRunInfo(runPath: string, info: RunInfo): void {
  const { formatVersion: _older, ...fields } = info;
  writeFileAtomic(join(runPath, RUN_FILE), `${JSON.stringify({ formatVersion: RUN_FORMAT_VERSION, ...fields }, null, 2)}\n`);
}

export function readRunInfo(runPath: string): RunInfo {
  const file = join(runPath, RUN_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new UserError(`${file} does not exist: ${runPath} is not a run directory. List runs with \`resnet-tutor runs\`.`);
    }
    throw new UserError(
      `${file} cannot be read (${code === 'EISDIR' ? 'it is a folder, not a file' : (code ?? (err as Error).message)}); the run's metadata is damaged.`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${file} is not valid JSON (${(err as Error).message}); the run's metadata is damaged.`);
  }
  const problem = runInfoProblem(parsed, file);
  if (problem) throw new UserError(`${file} is not a run's metadata (${problem}); the run's metadata is damaged.`);
  return parsed as RunInfo;
}

const STATUSES: readonly string[] = ['running', 'interrupted', 'completed', 'failed', 'diverged'];

/** What makes a parsed run.json unusable, or null: the fields every command relies on. */
function runInfoProblem(v: unknown, file: string): string | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    return `expected a JSON object, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`;
  const r = v as Record<string, unknown>;
  const version = formatVersionProblem(r, file);
  if (version) return version;
  if (typeof r.id !== 'string' || r.id === '') return 'no "id"';
  if (typeof r.config !== 'object' || r.config === null || Array.isArray(r.config)) return 'no "config" object';
  if (typeof r.status !== 'string' || !STATUSES.includes(r.status))
    return `"status" is ${JSON.stringify(r.status)}, expected one of ${STATUSES.join(', ')}`;
  if (typeof r.step !== 'number' || !Number.isFinite(r.step)) return 'no "step" number';
  return null;
}

/** Updates run.json with `changes` and a fresh `updated` time. */
export function updateRunInfo(runPath: string, changes: Partial<RunInfo>): RunInfo {
  const next = { ...readRunInfo(runPath), ...changes, updated: new Date().toISOString() };
  writeRunInfo(runPath, next);
  return next;
}

/**
 * Appends whole lines with one write each, so a kill leaves at most one torn last line, which
 * `readMetrics` ignores and `trimMetrics` removes; then the same lines to the run's TensorBoard
 * event file. Returns a warning when the event file could not be written (training goes on).
 */
export function appendMetrics(runPath: string, lines: readonly MetricsLine[]): string | null {
  if (lines.length === 0) return null;
  appendFileSync(
    join(runPath, METRICS_FILE),
    lines.map((l) => `${JSON.stringify({ formatVersion: RUN_FORMAT_VERSION, ...l })}\n`).join(''),
  );
  return appendEvents(runPath, lines, () => {
    try {
      return readRunInfo(runPath).units ?? [];
    } catch {
      return [];
    }
  });
}

/**
 * The metrics file's text, or a UserError saying why it cannot be read (a folder in its place, no
 * permission) followed by `consequence`, which says what that means for the command at hand.
 */
function readMetricsText(file: string, consequence: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(
      `${file} cannot be read (${code === 'EISDIR' ? 'it is a folder, not a file' : (code ?? (err as Error).message)})${consequence}`,
    );
  }
}

export function readMetrics(runPath: string): MetricsLine[] {
  const file = join(runPath, METRICS_FILE);
  if (!existsSync(file)) return [];
  const text = readMetricsText(file, "; the run's metrics are damaged.");
  const out: MetricsLine[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let parsed: MetricsLine | null;
    try {
      parsed = JSON.parse(line) as MetricsLine | null;
    } catch {
      continue; // A torn line from a kill mid-write; the next line (if any) is whole again.
    }
    // Only whole metrics objects: a line of other JSON is damage, like a torn one.
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      typeof parsed.step === 'number' &&
      (typeof parsed.loss === 'number' || parsed.loss === null) &&
      // A line from a newer program is refused (UserError), never half-understood.
      formatVersionProblem(parsed as unknown as Record<string, unknown>, file) === null
    )
      out.push(parsed);
  }
  return out;
}

/**
 * Before resuming from the checkpoint at `step`: drops a torn last line and every line after `step`,
 * so the resumed run appends with no step missing or repeated. Only a torn *last* line is trimmed
 * silently; a damaged line anywhere else is kept: the file as it was is copied aside
 * (metrics.jsonl.damaged-<time>, never deleted) and every good line up to `step` is kept. Returns
 * what it did when there was damage, for the run's log; null otherwise.
 */
export function trimMetrics(runPath: string, step: number): string | null {
  const damage = trimMetricsFile(runPath, step);
  // The TensorBoard view follows the record, once the record is settled (docs/run-folder.md).
  trimEvents(runPath, step);
  return damage;
}

function trimMetricsFile(runPath: string, step: number): string | null {
  const file = join(runPath, METRICS_FILE);
  if (!existsSync(file)) return null;
  const text = readMetricsText(
    file,
    ', so the run cannot be resumed without losing its history. Move it aside (the run then starts a new metrics file), then resume again.',
  );
  const lines = text.split('\n');
  // The text after the last newline: empty, or a line torn by a kill mid-write.
  lines.pop();
  const kept: string[] = [];
  const damaged: number[] = [];
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      damaged.push(i + 1);
      continue;
    }
    const s = (parsed as { step?: unknown } | null)?.step;
    // A line from a newer program stops the resume (UserError) before anything is changed.
    if (typeof s !== 'number' || formatVersionProblem(parsed as Record<string, unknown>, file) !== null) {
      damaged.push(i + 1);
      continue;
    }
    if (s <= step) kept.push(line);
  }
  const next = kept.map((l) => `${l}\n`).join('');
  if (next === text) return null;
  if (damaged.length === 0) {
    // Only a torn last line or lines after the checkpoint: cut them off in place.
    if (text.startsWith(next)) {
      const fd = openSync(file, 'r+');
      try {
        ftruncateSync(fd, Buffer.byteLength(next));
      } finally {
        closeSync(fd);
      }
      return null;
    }
  }
  const aside = `${file}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  copyFileSync(file, aside, constants.COPYFILE_EXCL);
  writeFileAtomic(file, next);
  return `${file}: line${damaged.length === 1 ? '' : 's'} ${damaged.slice(0, 10).join(', ')}${damaged.length > 10 ? ', ...' : ''} could not be read and ${damaged.length === 1 ? 'was' : 'were'} left out; every readable line up to step ${step} is kept, and the file as it was is saved as ${aside}.`;
}

/**
 * Finds a run by id, unique id prefix, or path. Unknown or ambiguous names are user errors that
 * list what exists.
 */
export function findRun(root: string, name: string): string {
  const asPath = isAbsolute(name) || name.includes('/') ? resolve(name) : null;
  if (asPath && existsSync(join(asPath, RUN_FILE))) return asPath;
  const ids = listRunIds(root);
  if (ids.includes(name)) return join(root, name);
  // A folder that was renamed (or copied under another name) is still found by the id in its run.json.
  if (!asPath) {
    const byId = foldersWithId(root, ids, name);
    const [onlyById] = byId;
    if (byId.length === 1 && onlyById !== undefined) return onlyById;
    if (byId.length > 1) {
      throw new UserError(
        `${byId.length} run folders in ${root} record the id "${name}" (${byId.join(', ')}): one is a copy of the other. Pass the folder's path instead.`,
      );
    }
  }
  const matches = ids.filter((id) => id.startsWith(name));
  const [onlyMatch] = matches;
  if (matches.length === 1 && onlyMatch !== undefined) return join(root, onlyMatch);
  if (matches.length > 1) {
    throw new UserError(
      `"${name}" matches ${matches.length} runs in ${root} (${matches.slice(0, 5).join(', ')}${matches.length > 5 ? ', ...' : ''}); give more of the id.`,
    );
  }
  // A run of a lesson experiment (the tutor keeps them in the per-user data folder), by id or unique prefix.
  const lessons = lessonRunsDir();
  if (!asPath && resolve(root) !== resolve(lessons)) {
    const lessonIds = listRunIds(lessons).filter((id) => id.startsWith(name));
    const exact = lessonIds.find((id) => id === name);
    if (exact || lessonIds.length === 1) return join(lessons, exact ?? lessonIds[0]!);
  }
  throw new UserError(
    `No run "${name}" in ${root}. ${ids.length ? `Runs there: ${ids.slice(-5).join(', ')}.` : 'That folder has no runs.'} List them with \`resnet-tutor runs${root === 'checkpoints' ? '' : ` --run-dir ${root}`}\`, or pass a run folder's path.`,
  );
}

/**
 * The run folder named `id` in `root`, or else the one folder whose run.json records that id (a
 * renamed or copied folder); null when there is none. A UserError when several folders claim it.
 */
export function findRunById(root: string, id: string): string | null {
  const ids = listRunIds(root);
  if (ids.includes(id)) return join(root, id);
  const byId = foldersWithId(root, ids, id);
  if (byId.length > 1) {
    throw new UserError(
      `${byId.length} run folders in ${root} record the id "${id}" (${byId.join(', ')}): one is a copy of the other. Move one away, or resume one by its path with \`resnet-tutor resume <folder>\`.`,
    );
  }
  return byId[0] ?? null;
}

/** Run folders (by name in `folders`) whose run.json says `id`; unreadable ones are skipped. */
function foldersWithId(root: string, folders: readonly string[], id: string): string[] {
  const out: string[] = [];
  for (const f of folders) {
    try {
      const recorded = (JSON.parse(readFileSync(join(root, f, RUN_FILE), 'utf8')) as { id?: unknown } | null)?.id;
      if (recorded === id) out.push(join(root, f));
    } catch {
      // damaged run.json: not this run as far as anyone can tell
    }
  }
  return out;
}

export function listRunIds(root: string): string[] {
  if (!existsSync(root)) return [];
  let names: string[];
  try {
    names = readdirSync(root);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(
      `The run directory ${root} cannot be listed (${code === 'ENOTDIR' ? 'it is a file, not a folder' : (code ?? (err as Error).message)}). Choose the folder that holds run folders with --run-dir DIR.`,
    );
  }
  // Hidden names are temporary folders (.tmp-run-*) and never runs.
  return names.filter((n) => !n.startsWith('.') && existsSync(join(root, n, RUN_FILE)) && isDir(join(root, n))).sort();
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export { describeModel };
