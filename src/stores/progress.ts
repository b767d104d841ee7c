/**
 * The one owner of a learner's progress: per lesson, the furthest step reached, the answers given
 * (right or wrong, attempts) and the numbers measured by experiments. Saved with `conf` as
 * `progress.json` in the user's config folder (`~/.config/resnet-tutor/` on Linux; override with
 * `cwd` or RESNET_TUTOR_CONFIG_DIR). The file is small and documented in lessons/FORMAT.md; what it
 * holds and how it is read is progress-file.ts. conf opens with the options the settings store uses
 * (store-file.ts): the folder created 0700, the file written 0600.
 *
 * conf 15 throws a SyntaxError from its constructor on a file that is not JSON (or, with
 * `clearInvalidConfig`, silently drops it). Neither is right for a learner's work: a file that cannot
 * be read is moved aside to `progress.json.corrupt-<time>`, progress starts fresh, and `recovered`
 * says so, so the program can tell the learner where the old file went.
 */
import { existsSync, readFileSync } from 'node:fs';
import Conf from 'conf';
import type { ExperimentResults, Measurement, Verdict } from '../contracts/lesson-results.js';
import {
  EMPTY_PROGRESS,
  lessonsIn,
  PROGRESS_FILE_NAME,
  PROGRESS_FORMAT,
  progressPath,
  shapeProblem,
  wrongTyped,
  type AnswerRecord,
  type LessonProgress,
  type ProgressFile,
} from './progress-file.js';
import { backUpStoreFile, configDir, confOptions, unusableStore } from './store-file.js';

export interface ProgressOptions {
  /** Folder of the progress file (default: RESNET_TUTOR_CONFIG_DIR, else the user's config folder). */
  readonly cwd?: string;
  /** For tests: the clock. */
  readonly now?: () => Date;
}

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
  private readonly conf: Conf<ProgressFile>;
  private readonly now: () => Date;

  constructor(options: ProgressOptions = {}) {
    this.now = options.now ?? (() => new Date());
    const dir = configDir(options.cwd);
    try {
      // Never throw on a bad file (we check it ourselves below), and never write one on start.
      this.conf = new Conf<ProgressFile>({ ...confOptions(PROGRESS_FILE_NAME, dir), clearInvalidConfig: true });
    } catch (err) {
      throw unusableStore(err, 'Lesson progress', dir, progressPath(options.cwd));
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

  private read(): ProgressFile {
    return { format: PROGRESS_FORMAT, lessons: lessonsIn(this.conf.store as Partial<ProgressFile>) };
  }

  private write(store: ProgressFile): void {
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
    const raw = this.conf.store as Partial<ProgressFile>;
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

export type LessonState = 'done' | 'in-progress' | 'not-started';

/** What the lesson list shows: done, in progress at step n of m, or not started. */
export function lessonStatus(stepCount: number, p: LessonProgress | undefined): { state: LessonState; step: number; of: number } {
  if (!p || p === EMPTY_PROGRESS) return { state: 'not-started', step: 0, of: stepCount };
  if (p.completed) return { state: 'done', step: stepCount, of: stepCount };
  const touched = p.step > 0 || Object.keys(p.answers).length > 0 || Object.keys(p.experiments).length > 0 || p.updated !== '';
  if (!touched) return { state: 'not-started', step: 0, of: stepCount };
  return { state: 'in-progress', step: Math.min(p.step + 1, stepCount), of: stepCount };
}
