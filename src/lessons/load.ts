/**
 * Reading lesson files from disk: a folder of `NN-slug.md` files (default: the package's own
 * `lessons/` folder), each parsed and checked on its own, so one broken lesson never stops the others
 * from loading. Upper-case Markdown files (FORMAT.md, README.md) are documentation, not lessons.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../util/errors.js';
import { buildLesson } from './check/build-lesson.js';
import { checkCourse } from './check/course.js';
import { parseLesson } from './parse.js';
import type { Lesson, Problem } from './types.js';

export interface LoadResult {
  /** Lessons without errors, sorted by number. */
  readonly lessons: Lesson[];
  /** Every problem found, sorted by file and line; lessons with errors are left out of `lessons`. */
  readonly problems: Problem[];
  /** The lesson files read, as shown in messages. */
  readonly files: string[];
}

let cachedDir: string | null = null;

/** The package's `lessons/` folder (next to src/ when run from sources, above dist/ when built). */
export function defaultLessonsDir(): string {
  if (cachedDir) return cachedDir;
  for (const rel of ['../../lessons', '../../../lessons']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(dir, 'FORMAT.md')) || (existsSync(dir) && lessonFileNames(dir).length > 0)) return (cachedDir = dir);
  }
  return (cachedDir = fileURLToPath(new URL('../../lessons', import.meta.url)));
}

/** A path as shown in messages: relative to `cwd` when inside it, else absolute. */
export function displayPath(path: string, cwd: string = process.cwd()): string {
  const rel = relative(cwd, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** Markdown files of a folder that are lessons (not FORMAT.md, README.md, ...), sorted by name. */
export function lessonFileNames(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith('.md') && !/^[A-Z0-9_-]+\.md$/.test(n))
    .filter((n) => !isFolder(join(dir, n)))
    .sort();
}

/**
 * A name that cannot be statted (a dangling symlink, a symlink loop) is kept, so that loading it
 * reports that one file as unreadable; it must not make the whole folder unreadable.
 */
function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Reads, parses and checks one lesson file (no course-wide checks). */
export function loadLessonFile(path: string, cwd: string = process.cwd()): { lesson: Lesson | null; problems: Problem[] } {
  const abs = resolve(cwd, path);
  const file = displayPath(abs, cwd);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { lesson: null, problems: [{ file, line: 1, severity: 'error', message: `cannot read the file (${code ?? String(err)})` }] };
  }
  const parsed = parseLesson(text, file);
  if (!parsed.lesson) return { lesson: null, problems: parsed.problems };
  const built = buildLesson(parsed.lesson, { file, path: abs });
  const problems = [...parsed.problems, ...built.problems];
  const failed = problems.some((p) => p.severity === 'error');
  return { lesson: failed ? null : built.lesson, problems };
}

/** Loads every lesson of a folder; throws a UserError only when the folder itself cannot be read. */
export function loadLessons(dir: string = defaultLessonsDir(), cwd: string = process.cwd()): LoadResult {
  const abs = resolve(cwd, dir);
  let names: string[];
  try {
    names = lessonFileNames(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(
      code === 'ENOENT'
        ? `No lessons folder at ${displayPath(abs, cwd)}. Pass the folder that holds the NN-slug.md lesson files with --lessons DIR.`
        : `Cannot read the lessons folder ${displayPath(abs, cwd)} (${code ?? String(err)}). Pass another one with --lessons DIR.`,
    );
  }
  const lessons: Lesson[] = [];
  const problems: Problem[] = [];
  const files: string[] = [];
  for (const name of names) {
    const { lesson, problems: p } = loadLessonFile(join(abs, name), cwd);
    files.push(displayPath(join(abs, name), cwd));
    problems.push(...p);
    if (lesson) lessons.push(lesson);
  }
  // Course rules judge the files in name order, so "also used by" points at the earlier file.
  problems.push(...checkCourse(lessons));
  const clashing = new Set(problems.filter((p) => p.severity === 'error').map((p) => p.file));
  return {
    lessons: lessons.filter((l) => !clashing.has(l.file)).sort((a, b) => a.number - b.number || a.file.localeCompare(b.file)),
    problems: sortProblems(problems),
    files,
  };
}

/** `lessons --check PATH`: a folder (every lesson and the course rules) or one file. */
export function checkLessonsAt(path: string, cwd: string = process.cwd()): LoadResult {
  const abs = resolve(cwd, path);
  let isDir: boolean;
  try {
    isDir = statSync(abs).isDirectory();
  } catch {
    throw new UserError(`Nothing to check at ${displayPath(abs, cwd)}: give a lesson file or a folder of lesson files.`);
  }
  if (isDir) return loadLessons(abs, cwd);
  const { lesson, problems } = loadLessonFile(abs, cwd);
  return { lessons: lesson ? [lesson] : [], problems: sortProblems(problems), files: [displayPath(abs, cwd)] };
}

function sortProblems(problems: Problem[]): Problem[] {
  return problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}
