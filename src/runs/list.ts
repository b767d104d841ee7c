import { closeSync, fstatSync, existsSync, openSync, readFileSync, readSync, readdirSync, statSync, type Dirent } from 'node:fs';
import { join, resolve } from 'node:path';
import { describeModel } from '../contracts/train-config.js';
import type { MetricsLine } from '../contracts/run-folder.js';
import { formatVersionProblem, listRunIds, METRICS_FILE, RUN_FILE, type RunInfo } from './run-dir.js';

/**
 * `resnet-tutor runs`: every run folder under the run directory, newest first, as a table or JSON.
 * Shows what run.json records: a run killed with SIGKILL still says `running`, so the table only
 * adds a note when such a run has not been updated for a while.
 */

/** One row of the listing: a run whose run.json reads, or a folder that looks like a damaged run. */
export type RunListing =
  | {
      readonly kind: 'run';
      readonly path: string;
      readonly info: RunInfo;
      /** The newest step seen: run.json's, or the last metrics line's when that is newer. */
      readonly step: number;
      /** The newest of run.json's `updated` and the last metrics line's `time` (ISO). */
      readonly lastUpdate: string;
    }
  | {
      readonly kind: 'damaged';
      readonly id: string;
      readonly path: string;
      readonly reason: string;
      readonly lastUpdate: string;
      /** Not damaged but written by a newer resnet-tutor (a run-folder format this one does not read). */
      readonly newer?: boolean;
    };

/** A `running` run with no update for this long gets a note (it may have been killed). */
export const STALE_AFTER_MS = 10 * 60 * 1000;

export const NO_RUNS_MESSAGE = (root: string): string =>
  `No runs in ${root} yet. Start one with \`resnet-tutor train${root === 'checkpoints' ? '' : ` --run-dir ${root}`}\` (add --steps 200 for a quick one), or point --run-dir at the folder that holds your runs.`;

/** Reads every run folder in `root`; never throws for a bad run, only lists it as damaged. */
export function listRuns(root: string): RunListing[] {
  if (!existsSync(root)) return [];
  listRunIds(root); // a --run-dir that is a file or unreadable: its clear error
  const out: RunListing[] = [];
  let entries: Dirent[];
  try {
    entries = readdirSync(root, { withFileTypes: true });
  } catch {
    return []; // gone since (a folder like /proc changes under us)
  }
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const path = join(root, entry.name);
    const listing = readListing(entry.name, path);
    if (listing) out.push(listing);
  }
  return out.sort((a, b) => sortTime(b).localeCompare(sortTime(a)) || idOf(b).localeCompare(idOf(a)));
}

function sortTime(l: RunListing): string {
  return l.kind === 'run' ? String(l.info.created ?? l.lastUpdate) : l.lastUpdate;
}

function idOf(l: RunListing): string {
  return l.kind === 'run' ? l.info.id : l.id;
}

function readListing(name: string, path: string): RunListing | null {
  const file = join(path, RUN_FILE);
  const mtime = (p: string) => {
    try {
      return statSync(p).mtime.toISOString();
    } catch {
      return new Date(0).toISOString();
    }
  };
  if (!existsSync(file)) {
    // Only folders that hold run files count; anything else in the folder is not ours.
    let names: string[] = [];
    try {
      names = readdirSync(path);
    } catch {
      // unreadable or gone (a process folder in /proc): not a run
    }
    const looksLikeRun = existsSync(join(path, METRICS_FILE)) || names.some((n) => /^ckpt-\d+$/.test(n));
    return looksLikeRun ? { kind: 'damaged', id: name, path, reason: `${RUN_FILE} is missing`, lastUpdate: mtime(path) } : null;
  }
  let info: RunInfo;
  try {
    info = JSON.parse(readFileSync(file, 'utf8')) as RunInfo;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code ? `${RUN_FILE} cannot be read (${e.code})` : `${RUN_FILE} is not valid JSON (${e.message})`;
    return { kind: 'damaged', id: name, path, reason: why, lastUpdate: mtime(file) };
  }
  const newer = newerFormat(info, file);
  if (newer) return { kind: 'damaged', id: name, path, reason: newer, lastUpdate: mtime(file), newer: true };
  const problem = shapeProblem(info);
  if (problem) return { kind: 'damaged', id: name, path, reason: `${RUN_FILE} ${problem}`, lastUpdate: mtime(file) };
  const last = lastMetricsLine(path);
  const step = Math.max(info.step ?? 0, last?.step ?? 0);
  const lastUpdate = last?.time && last.time > info.updated ? last.time : info.updated;
  return { kind: 'run', path, info, step, lastUpdate };
}

/**
 * The message when run.json was written by a newer resnet-tutor than this one: its fields may mean
 * something else, so the row shows none of them (only that it cannot be read here, and why). A
 * malformed version is left to `shapeProblem` and `report`.
 */
function newerFormat(info: unknown, file: string): string | null {
  if (typeof info !== 'object' || info === null || Array.isArray(info)) return null;
  try {
    formatVersionProblem(info as Record<string, unknown>, file);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** What is missing for the listing to describe the run; null when run.json has what it needs. */
function shapeProblem(info: unknown): string | null {
  if (typeof info !== 'object' || info === null || Array.isArray(info)) return 'is not a JSON object';
  const r = info as Record<string, unknown>;
  if (typeof r.id !== 'string') return 'has no run id';
  if (typeof r.status !== 'string') return 'has no status';
  const c = r.config as Record<string, unknown> | undefined;
  if (typeof c !== 'object' || c === null) return 'has no config';
  for (const k of ['net', 'arch', 'depth', 'width']) if (c[k] === undefined) return `has no config.${k}`;
  if (typeof r.updated !== 'string') return 'has no update time';
  return null;
}

/** The last whole, readable metrics line, reading only the end of the file. */
export function lastMetricsLine(runPath: string, tailBytes = 64 * 1024): MetricsLine | null {
  const file = join(runPath, METRICS_FILE);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const st = fstatSync(fd);
    // A folder in its place opens fine on Linux but cannot be read: no metrics line.
    if (!st.isFile()) return null;
    const size = st.size;
    const start = Math.max(0, size - tailBytes);
    const buf = Buffer.alloc(size - start);
    readSync(fd, buf, 0, buf.length, start);
    const lines = buf.toString('utf8').split('\n');
    // The last piece has no newline yet (torn or empty); the first may start mid-line.
    for (let i = lines.length - 2; i >= (start > 0 ? 1 : 0); i--) {
      try {
        const parsed = JSON.parse(lines[i]!) as MetricsLine;
        if (typeof parsed.step === 'number') return parsed;
      } catch {
        // a damaged line; try the one before
      }
    }
    return null;
  } finally {
    closeSync(fd);
  }
}

/** "just now", "45s ago", "5m ago", "3h ago", "2d ago"; the date after 60 days. */
export function formatAgo(iso: string, now: Date = new Date()): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '?';
  const s = Math.round((now.getTime() - t) / 1000);
  if (s < 0) return 'in the future';
  if (s < 5) return 'just now';
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  if (s < 60 * 86400) return `${Math.floor(s / 86400)}d ago`;
  return iso.slice(0, 10);
}

/** "wasm (CPU)", "node-gpu (GPU)"; "-" before the run picked one. */
export function formatBackendShort(info: RunInfo): string {
  const b = info.backend;
  if (!b) return '-';
  return `${b.name} (${b.usingGpu ? 'GPU' : 'CPU'})`;
}

/** "40/40 (5.0 ep)": steps done of planned, and epochs when the epoch length is known. */
export function formatProgress(info: RunInfo, step: number): string {
  const total = info.totalSteps ?? info.config.steps ?? null;
  const epochs = info.stepsPerEpoch ? ` (${(step / info.stepsPerEpoch).toFixed(1)} ep)` : '';
  return `${step}/${total ?? '?'}${epochs}`;
}

export function formatPercent(x: number | null | undefined): string {
  return typeof x === 'number' && Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '-';
}

export interface Column {
  readonly name: string;
  readonly cell: (l: RunListing) => string;
}

/** Columns in the order they are left out when the table is wider than the terminal (last first). */
const DROP_ORDER = ['DATA', 'BACKEND', 'UPDATED', 'MODEL', 'BEST VAL', 'STEP'];

/** The table `resnet-tutor runs` prints; `width` is the terminal's (Infinity: never drop columns). */
export function formatRunsTable(
  root: string,
  listings: readonly RunListing[],
  width = Infinity,
  now = new Date(),
  /** Extra columns after the id (`runs --lessons`: which lesson experiment made the run). */
  extra: readonly Column[] = [],
): string {
  if (listings.length === 0) return `${NO_RUNS_MESSAGE(root)}\n`;
  const run = (f: (l: Extract<RunListing, { kind: 'run' }>) => string) => (l: RunListing) => (l.kind === 'run' ? f(l) : '');
  let columns: Column[] = [
    { name: 'ID', cell: idOf },
    ...extra,
    { name: 'MODEL', cell: run((l) => describeModel(l.info.config)) },
    { name: 'DATA', cell: run((l) => String(l.info.config.dataset ?? '-')) },
    { name: 'BACKEND', cell: run((l) => formatBackendShort(l.info)) },
    { name: 'STATUS', cell: (l) => (l.kind === 'run' ? l.info.status : l.newer ? 'newer-format' : 'damaged') },
    { name: 'STEP', cell: run((l) => formatProgress(l.info, l.step)) },
    { name: 'BEST VAL', cell: run((l) => formatPercent(l.info.bestValAccuracy)) },
    { name: 'UPDATED', cell: (l) => formatAgo(l.lastUpdate, now) },
  ];
  const rows = () => [columns.map((c) => c.name), ...listings.map((l) => columns.map((c) => c.cell(l)))];
  const render = () => {
    const all = rows();
    const widths = columns.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
    return all.map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
  };
  let lines = render();
  for (const drop of DROP_ORDER) {
    if (Math.max(...lines.map((l) => l.length)) <= width) break;
    columns = columns.filter((c) => c.name !== drop);
    lines = render();
  }

  const notes: string[] = [];
  for (const l of listings) {
    if (l.kind === 'damaged') notes.push(l.newer ? `${l.id}: ${l.reason}` : `${l.id}: damaged: ${l.reason} (${l.path})`);
  }
  const stale = listings.filter(
    (l) => l.kind === 'run' && l.info.status === 'running' && now.getTime() - Date.parse(l.lastUpdate) > STALE_AFTER_MS,
  );
  if (stale.length > 0) {
    notes.push(
      `${stale.map(idOf).join(', ')}: says running but has not been updated for over ${STALE_AFTER_MS / 60000} minutes; if its process is gone (killed, machine rebooted), continue it with \`resnet-tutor resume <id>\`.`,
    );
  }
  const count = listings.length === 1 ? '1 run' : `${listings.length} runs`;
  const out = [`${count} in ${resolve(root)}, newest first`, '', ...lines];
  if (notes.length > 0) out.push('', ...notes);
  out.push('', 'Details and charts: `resnet-tutor report <id>`; follow a running one: `resnet-tutor watch <id>`.');
  return `${out.join('\n')}\n`;
}

/** `runs --json`: each run.json object plus its folder path; damaged ones with their reason. */
export function runsAsJson(listings: readonly RunListing[]): unknown[] {
  return listings.map((l) =>
    l.kind === 'run'
      ? { ...l.info, path: resolve(l.path) }
      : { id: l.id, path: resolve(l.path), status: l.newer ? 'newer-format' : 'damaged', reason: l.reason },
  );
}
