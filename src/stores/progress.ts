/**
 * The one owner of a learner's progress: per lesson, the furthest step reached, the answers given
 * (right or wrong, attempts) and the numbers measured by experiments. Saved with `conf` as
 * `progress.json` in the user's config folder (`~/.config/resnet-tutor/` on Linux; override with
 * `cwd` or RESNET_TUTOR_CONFIG_DIR). The file is small and documented in lessons/FORMAT.md.
 *
 * conf 15 throws a SyntaxError from its constructor on a file that is not JSON (or, with
 * `clearInvalidConfig`, silently drops it). Neither is right for a learner's work: a file that cannot
 * be read is moved aside to `progress.json.corrupt-<time>`, progress starts fresh, and `recovered`
 * says so, so the program can tell the learner where the old file went.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Conf from 'conf';
import { backUpStoreFile, CONFIG_DIR_ENV, PROJECT_NAME, unusableStore, userConfigDir } from './store-file.js';
import type { ExperimentResults, Measurement, Verdict } from '../contracts/lesson-results.js';

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

interface StoreShape {
  format: number;
  lessons: Record<string, LessonProgress>;
}

export interface ProgressOptions {
  /** Folder of the progress file (default: RESNET_TUTOR_CONFIG_DIR, else the user's config folder). */
  readonly cwd?: string;
  /** For tests: the clock. */
  readonly now?: () => Date;
}

export const EMPTY_PROGRESS: LessonProgress = { step: 0, completed: false, answers: {}, experiments: {}, updated: '' };

export class ProgressStore {
  /** The progress file. */
  readonly path: string;
  /**
   * Set when the file could not be read, or when a save replaced records of the wrong type: what
   * happened and where the old file went.
   */
  get recovered(): string | null {
    return this.note;
  }
  private note: string | null;
  /** The file was checked for records a save would drop (and copied aside when it had some). */
  private lossChecked = false;
  private readonly conf: Conf<StoreShape>;
  private readonly now: () => Date;

  constructor(options: ProgressOptions = {}) {
    this.now = options.now ?? (() => new Date());
    const cwd = options.cwd ?? (process.env[CONFIG_DIR_ENV] || undefined);
    try {
      this.conf = new Conf<StoreShape>({
        projectName: PROJECT_NAME,
        projectSuffix: '',
        configName: PROGRESS_FILE_NAME,
        cwd,
        // Never throw on a bad file (we check it ourselves below), and never write one on start.
        clearInvalidConfig: true,
        accessPropertiesByDotNotation: false,
        watch: false,
      });
    } catch (err) {
      throw unusableProgressPath(err, cwd);
    }
    this.path = this.conf.path;
    this.note = this.checkFile();
  }

  /** Progress of one lesson (empty when never opened). */
  lesson(id: string): LessonProgress {
    return this.read().lessons[id] ?? EMPTY_PROGRESS;
  }

  /** Progress of every lesson opened so far, by lesson id. */
  all(): Readonly<Record<string, LessonProgress>> {
    return this.read().lessons;
  }

  /** The learner reached step `index` (0-based) of a lesson; only ever moves forward. */
  reachStep(id: string, index: number): void {
    this.update(id, (p) => ({ ...p, step: Math.max(p.step, Math.max(0, Math.floor(index))) }));
  }

  /** The learner answered a question; counts the attempt. */
  answer(id: string, key: string, given: string, correct: boolean): AnswerRecord {
    let record: AnswerRecord | undefined;
    this.update(id, (p) => {
      const before = p.answers[key];
      record = {
        correct,
        attempts: (before?.attempts ?? 0) + 1,
        firstTry: before ? before.firstTry : correct,
        given,
        at: this.now().toISOString(),
      };
      return { ...p, answers: { ...p.answers, [key]: record } };
    });
    return record!;
  }

  /** An experiment finished; keeps its measured numbers (the latest run replaces an earlier one). */
  recordExperiment(
    id: string,
    key: string,
    measured: Record<string, number>,
    options: {
      runIds?: readonly string[];
      full?: boolean;
      measurements?: readonly Measurement[];
      verdict?: Verdict;
      results?: ExperimentResults;
    } = {},
  ): void {
    const clean = Object.fromEntries(Object.entries(measured).filter(([, v]) => typeof v === 'number' && !Number.isNaN(v)));
    this.update(id, (p) => ({
      ...p,
      experiments: {
        ...p.experiments,
        [key]: {
          measured: clean,
          runIds: [...(options.runIds ?? [])],
          full: options.full ?? false,
          at: this.now().toISOString(),
          ...(options.measurements ? { measurements: options.measurements } : {}),
          ...(options.verdict ? { verdict: options.verdict } : {}),
          ...(options.results ? { results: options.results } : {}),
        },
      },
    }));
  }

  /** The learner finished the lesson's last step. */
  complete(id: string, lastStep?: number): void {
    this.update(id, (p) => ({ ...p, completed: true, step: lastStep === undefined ? p.step : Math.max(p.step, lastStep) }));
  }

  /** Forgets one lesson. */
  resetLesson(id: string): void {
    const store = this.read();
    delete store.lessons[id];
    this.write(store);
  }

  /** Forgets every lesson. */
  reset(): void {
    this.write({ format: PROGRESS_FORMAT, lessons: {} });
  }

  private update(id: string, change: (p: LessonProgress) => LessonProgress): void {
    const store = this.read();
    const next = change(store.lessons[id] ?? EMPTY_PROGRESS);
    store.lessons[id] = { ...next, updated: this.now().toISOString() };
    this.write(store);
  }

  private read(): StoreShape {
    const raw = this.conf.store as Partial<StoreShape>;
    const lessons: Record<string, LessonProgress> = {};
    if (raw && typeof raw.lessons === 'object' && raw.lessons !== null) {
      for (const [id, p] of Object.entries(raw.lessons)) {
        const n = normalise(p);
        if (n) lessons[id] = n;
      }
    }
    return { format: PROGRESS_FORMAT, lessons };
  }

  private write(store: StoreShape): void {
    if (!this.lossChecked) {
      this.lossChecked = true;
      this.keepWrongTypedRecords();
    }
    this.conf.store = store;
  }

  /**
   * A record of the wrong type (a lesson that is not an object, `step: "3"`, `completed: "yes"`) is
   * read as empty or repaired, and the first save would replace it for good: the file as it was is
   * copied aside first, once per process, never overwriting an earlier copy.
   */
  private keepWrongTypedRecords(): void {
    const raw = this.conf.store as Partial<StoreShape>;
    const lessons = raw && typeof raw.lessons === 'object' && raw.lessons !== null ? raw.lessons : {};
    const bad = Object.entries(lessons)
      .map(([id, p]) => [id, wrongTyped(p)] as const)
      .filter(([, why]) => why !== null);
    if (bad.length === 0 || !existsSync(this.path)) return;
    const what = bad
      .slice(0, 3)
      .map(([id, why]) => `"${id}": ${why}`)
      .join('; ');
    try {
      const backup = backUpStoreFile(this.path, 'copy', this.now);
      this.note = `The progress file ${this.path} had lesson records of the wrong type (${what}${bad.length > 3 ? '; ...' : ''}); they were reset, and the file as it was is saved as ${backup}.`;
    } catch (err) {
      this.note = `The progress file ${this.path} has lesson records of the wrong type (${what}) and could not be copied aside (${(err as Error).message}); they are reset by this save.`;
    }
  }

  /** Moves an unreadable file aside; returns the message for the learner, or null when all is well. */
  private checkFile(): string | null {
    if (!existsSync(this.path)) return null;
    let why: string | null = null;
    try {
      const data = JSON.parse(readFileSync(this.path, 'utf8')) as unknown;
      why = shapeProblem(data);
    } catch (err) {
      why = err instanceof SyntaxError ? `not valid JSON: ${err.message}` : `unreadable: ${(err as Error).message}`;
    }
    if (why === null) return null;
    let backup: string;
    try {
      backup = backUpStoreFile(this.path, 'move', this.now);
    } catch (err) {
      return `The progress file ${this.path} could not be read (${why}) nor moved aside (${(err as Error).message}); progress is not saved until it is fixed or removed.`;
    }
    return `The progress file ${this.path} could not be read (${why}). It was moved to ${backup}; progress starts fresh.`;
  }
}

/** The progress file's folder and path, for the error when either cannot be used (store-file.ts). */
function unusableProgressPath(err: unknown, cwd: string | undefined): Error {
  const dir = cwd ?? userConfigDir();
  return unusableStore(err, 'Lesson progress', dir, join(dir, `${PROGRESS_FILE_NAME}.json`));
}

/** Why a parsed progress file is not one this version can use; null when it is. */
function shapeProblem(data: unknown): string | null {
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
function wrongTyped(p: unknown): string | null {
  if (typeof p !== 'object' || p === null || Array.isArray(p)) return `not an object but ${p === null ? 'null' : Array.isArray(p) ? 'an array' : typeof p}`;
  const o = p as Record<string, unknown>;
  const isObj = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (o.step !== undefined && !(typeof o.step === 'number' && Number.isFinite(o.step) && o.step >= 0)) return `step is ${JSON.stringify(o.step)}`;
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
  const measurements = e.measurements.map((m) => ({ ...m, value: num(m.value), perSeed: Array.isArray(m.perSeed) ? m.perSeed.map(num) : [] }));
  return { ...e, measurements };
}

export type LessonState = 'done' | 'in-progress' | 'not-started';

/** What the lesson list shows: done, in progress at step n of m, or not started. */
export function lessonStatus(stepCount: number, p: LessonProgress | undefined): { state: LessonState; step: number; of: number } {
  if (!p || (p === EMPTY_PROGRESS)) return { state: 'not-started', step: 0, of: stepCount };
  if (p.completed) return { state: 'done', step: stepCount, of: stepCount };
  const touched = p.step > 0 || Object.keys(p.answers).length > 0 || Object.keys(p.experiments).length > 0 || p.updated !== '';
  if (!touched) return { state: 'not-started', step: 0, of: stepCount };
  return { state: 'in-progress', step: Math.min(p.step + 1, stepCount), of: stepCount };
}
