/**
 * What `progress.json` holds and how it is read (the format is documented in lessons/FORMAT.md):
 * the record types, the checks that tell a usable file from one to move aside, and the repair of
 * damaged records. No conf here: the tutor's first screen reads the saved progress with
 * `readSavedProgress` before conf (a few hundred ms to load) is imported; the conf store that writes
 * the file is progress.ts, which reads it through the same `lessonsIn`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExperimentResults, Measurement, Verdict } from '../contracts/lesson-results.js';
import { configDir } from './store-file.js';

export const PROGRESS_FORMAT = 1;
export const PROGRESS_FILE_NAME = 'progress';

export interface AnswerRecord {
  /** Whether the latest answer was right. */
  readonly correct: boolean;
  /** Answers given so far (invalid input is not counted). */
  readonly attempts: number;
  /** Right at the first attempt. */
  readonly firstTry: boolean;
  /** The latest answer as typed. */
  readonly given: string;
  readonly at: string;
}

export interface ExperimentRecord {
  /** The measured numbers, per run label (e.g. { "depth 2": 0.54, "depth 20": 2.30 }). */
  readonly measured: Readonly<Record<string, number>>;
  /** Run ids in the run store, for `resnet-tutor report <run>`. */
  readonly runIds: readonly string[];
  /** The paper-sized variant was run. */
  readonly full: boolean;
  readonly at: string;
  /** The measured numbers with units and per-seed values (records written before this field lack it). */
  readonly measurements?: readonly Measurement[];
  /** The tutor's verdict on the prediction, as shown when the experiment finished. */
  readonly verdict?: Verdict;
  /** The raw results, for chart steps and for showing a finished experiment again. */
  readonly results?: ExperimentResults;
}

export interface LessonProgress {
  /** Index (0-based) of the furthest step reached. */
  readonly step: number;
  readonly completed: boolean;
  /** By question key (`id:` or `step-N`). */
  readonly answers: Readonly<Record<string, AnswerRecord>>;
  /** By experiment key. */
  readonly experiments: Readonly<Record<string, ExperimentRecord>>;
  readonly updated: string;
}

/** The file as a whole. */
export interface ProgressFile {
  format: number;
  lessons: Record<string, LessonProgress>;
}

export const EMPTY_PROGRESS: LessonProgress = { step: 0, completed: false, answers: {}, experiments: {}, updated: '' };

/** The progress file: `progress.json` in `configDir(cwd)` (store-file.ts). */
export function progressPath(cwd?: string): string {
  return join(configDir(cwd), `${PROGRESS_FILE_NAME}.json`);
}

/**
 * The saved progress of every lesson, read as plain JSON without conf, for the first screen. A file
 * that is missing or that the store would move aside (not JSON, wrong shape, newer format) counts as
 * no progress; the store reports and backs it up when it opens.
 */
export function readSavedProgress(cwd?: string): Record<string, LessonProgress> {
  try {
    const data = JSON.parse(readFileSync(progressPath(cwd), 'utf8')) as unknown;
    return shapeProblem(data) === null ? lessonsIn(data as Partial<ProgressFile>) : {};
  } catch {
    return {};
  }
}

/** The lesson records of a parsed file, repaired (`normalise`); records that are not objects are left out. */
export function lessonsIn(raw: Partial<ProgressFile> | undefined): Record<string, LessonProgress> {
  const lessons: Record<string, LessonProgress> = {};
  if (raw && typeof raw.lessons === 'object' && raw.lessons !== null) {
    for (const [id, p] of Object.entries(raw.lessons)) {
      const n = normalise(p);
      if (n) lessons[id] = n;
    }
  }
  return lessons;
}

/** Why a parsed progress file is not one this version can use; null when it is. */
export function shapeProblem(data: unknown): string | null {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'not a JSON object';
  const d = data as Record<string, unknown>;
  if (Object.keys(d).length === 0) return null;
  if (d.format !== PROGRESS_FORMAT) {
    return typeof d.format === 'number' && d.format > PROGRESS_FORMAT
      ? `written by a newer resnet-tutor (format ${d.format})`
      : `unknown format ${JSON.stringify(d.format)}`;
  }
  if (typeof d.lessons !== 'object' || d.lessons === null || Array.isArray(d.lessons)) return '`lessons` is not an object';
  return null;
}

/** What in a stored lesson record has the wrong type (a save would lose it), or null. */
export function wrongTyped(p: unknown): string | null {
  if (typeof p !== 'object' || p === null || Array.isArray(p))
    return `not an object but ${p === null ? 'null' : Array.isArray(p) ? 'an array' : typeof p}`;
  const o = p as Record<string, unknown>;
  const isObj = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (o.step !== undefined && !(typeof o.step === 'number' && Number.isFinite(o.step) && o.step >= 0))
    return `step is ${JSON.stringify(o.step)}`;
  if (o.completed !== undefined && typeof o.completed !== 'boolean') return `completed is ${JSON.stringify(o.completed)}`;
  if (o.answers !== undefined && !isObj(o.answers)) return `answers is ${JSON.stringify(o.answers)}`;
  if (o.experiments !== undefined && !isObj(o.experiments)) return `experiments is ${JSON.stringify(o.experiments)}`;
  if (o.updated !== undefined && typeof o.updated !== 'string') return `updated is ${JSON.stringify(o.updated)}`;
  return null;
}

/** A stored lesson record with wrong or missing fields repaired; null when it is not an object. */
function normalise(p: unknown): LessonProgress | null {
  if (typeof p !== 'object' || p === null || Array.isArray(p)) return null;
  const o = p as Record<string, unknown>;
  const obj = (v: unknown) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, never>) : {});
  return {
    step: typeof o.step === 'number' && Number.isFinite(o.step) && o.step >= 0 ? Math.floor(o.step) : 0,
    completed: o.completed === true,
    answers: obj(o.answers),
    experiments: Object.fromEntries(Object.entries(obj(o.experiments)).map(([k, e]) => [k, withNumbers(e)])),
    updated: typeof o.updated === 'string' ? o.updated : '',
  };
}

/**
 * JSON has no NaN: a value that no seed produced (NaN in `Measurement`) is saved as null; reading
 * it back makes it NaN again, so a reopened lesson shows "no number" rather than 0 or a crash.
 */
function withNumbers(e: ExperimentRecord): ExperimentRecord {
  if (typeof e !== 'object' || e === null || !Array.isArray(e.measurements)) return e;
  const num = (v: unknown) => (typeof v === 'number' ? v : NaN);
  const measurements = e.measurements.map((m) => ({
    ...m,
    value: num(m.value),
    perSeed: Array.isArray(m.perSeed) ? m.perSeed.map(num) : [],
  }));
  return { ...e, measurements };
}
