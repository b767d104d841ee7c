/**
 * `resnet-tutor lessons`: the lesson list with progress marks, `--check` (lint every lesson file,
 * print `file:line: message`, exit 1 on errors) and `--reset` (forget progress, after asking).
 * Plain text, no escape codes, so it reads the same in a pipe and in a log.
 */
import { confirm, defaultConsoleIo, type ConsoleIo } from '../util/console-io.js';
import { EXIT, UserError } from '../util/errors.js';
import { charsetFromEnv, renderInline, type Charset } from './math.js';
import { checkLessonsAt, defaultLessonsDir, displayPath, loadLessons, type LoadResult } from './load.js';
import { lessonStatus, ProgressStore, type LessonState } from '../stores/progress.js';
import { formatProblem, type Lesson } from './types.js';

export interface LessonsCommandOptions {
  /** `--check [path]`: undefined lists lessons; '' checks the lessons folder; a path checks that file or folder. */
  readonly check?: string;
  /** `--lessons DIR` (default: the package's lessons folder). */
  readonly lessonsDir?: string;
  readonly reset?: boolean;
  readonly yes?: boolean;
  readonly json?: boolean;
  /** Progress folder (tests); default RESNET_TUTOR_CONFIG_DIR or the user's config folder. */
  readonly progressDir?: string;
  readonly io?: Partial<LessonsIo>;
}

export interface LessonsIo extends ConsoleIo {
  readonly charset: Charset;
}

export const MESSAGES = {
  resetRefused:
    'Refusing to reset lesson progress without confirmation: the input is not a terminal. Run `resnet-tutor lessons --reset --yes` to clear it anyway.',
  resetKept: 'Progress kept.',
  resetDone: (path: string) => `Lesson progress cleared (${path}).`,
  resetQuestion: (path: string) => `Forget all lesson progress (steps, answers, experiment results) in ${path}? [y/N] `,
  brokenLessons: (n: number) =>
    `${n} lesson file${n === 1 ? ' has' : 's have'} problems and ${n === 1 ? 'is' : 'are'} not listed; run \`resnet-tutor lessons --check\` to see them.`,
  noLessons: (dir: string) => `No lessons found in ${dir}. Pass the folder of NN-slug.md lesson files with --lessons DIR.`,
} as const;

const MARKS: Record<Charset, Record<LessonState, string>> = {
  unicode: { done: '✓', 'in-progress': '▸', 'not-started': '·' },
  ascii: { done: 'x', 'in-progress': '>', 'not-started': '.' },
};

function defaultIo(): LessonsIo {
  return { ...defaultConsoleIo(), charset: charsetFromEnv() };
}

/** Runs the command; returns the exit code. */
export async function runLessonsCommand(opts: LessonsCommandOptions): Promise<number> {
  const io: LessonsIo = { ...defaultIo(), ...opts.io };
  if (opts.reset) return reset(opts, io);
  if (opts.check !== undefined) return check(opts.check || opts.lessonsDir || defaultLessonsDir(), opts, io);
  return list(opts, io);
}

async function reset(opts: LessonsCommandOptions, io: LessonsIo): Promise<number> {
  const store = new ProgressStore({ cwd: opts.progressDir });
  if (store.recovered) io.err(`${store.recovered}\n`);
  if (!(await confirm(io, opts.yes, MESSAGES.resetQuestion(store.path), MESSAGES.resetRefused))) {
    io.out(`${MESSAGES.resetKept}\n`);
    return EXIT.ok;
  }
  store.reset();
  io.out(opts.json ? `${JSON.stringify({ reset: true, progressFile: store.path })}\n` : `${MESSAGES.resetDone(store.path)}\n`);
  return EXIT.ok;
}

function check(path: string, opts: LessonsCommandOptions, io: LessonsIo): number {
  const result = checkLessonsAt(path, io.cwd);
  const errors = result.problems.filter((p) => p.severity === 'error');
  const warnings = result.problems.filter((p) => p.severity === 'warning');
  if (opts.json) {
    io.out(`${JSON.stringify({ ok: errors.length === 0, files: result.files, problems: result.problems }, null, 2)}\n`);
    return errors.length > 0 ? EXIT.userError : EXIT.ok;
  }
  const lines: string[] = [];
  const byFile = new Map(result.lessons.map((l) => [l.file, l]));
  const shown = new Set<string>();
  // File by file, in name order: an ok line, or the file's problems.
  for (const file of result.files) {
    const own = result.problems.filter((p) => p.file === file);
    own.forEach((p) => shown.add(formatProblem(p)));
    if (own.length > 0) lines.push(...own.map(formatProblem));
    else {
      const l = byFile.get(file);
      lines.push(`${file}: ok${l ? ` (${describeSteps(l)})` : ''}`);
    }
  }
  for (const p of result.problems) if (!shown.has(formatProblem(p))) lines.push(formatProblem(p));
  const n = result.files.length;
  const files = `${n} lesson file${n === 1 ? '' : 's'}`;
  if (n === 0) lines.push(`No lesson files (NN-slug.md) in ${displayPath(path, io.cwd)}.`);
  else if (result.problems.length === 0) lines.push(`Checked ${files}: no problems.`);
  else {
    const bad = new Set(errors.map((p) => p.file)).size;
    lines.push(
      `Checked ${files}: ${count(errors.length, 'error')}${bad ? ` in ${bad} file${bad === 1 ? '' : 's'}` : ''}, ${count(warnings.length, 'warning')}.`,
    );
  }
  io.out(`${lines.join('\n')}\n`);
  return errors.length > 0 || n === 0 ? EXIT.userError : EXIT.ok;
}

function list(opts: LessonsCommandOptions, io: LessonsIo): number {
  const dir = opts.lessonsDir ?? defaultLessonsDir();
  const result: LoadResult = loadLessons(dir, io.cwd);
  const store = new ProgressStore({ cwd: opts.progressDir });
  if (store.recovered) io.err(`${store.recovered}\n`);
  const progress = store.all();
  const broken = new Set(result.problems.filter((p) => p.severity === 'error').map((p) => p.file)).size;
  const rows = result.lessons.map((l) => ({ lesson: l, status: lessonStatus(l.steps.length, progress[l.id]) }));

  if (opts.json) {
    io.out(
      `${JSON.stringify(
        {
          lessonsDir: displayPath(dir, io.cwd),
          progressFile: store.path,
          lessons: rows.map(({ lesson: l, status }) => ({
            number: l.number,
            id: l.id,
            title: l.title,
            summary: l.summary,
            minutes: l.minutes,
            file: l.file,
            steps: l.steps.length,
            questions: l.steps.filter((s) => s.kind === 'question').length,
            experiments: l.steps.filter((s) => s.kind === 'experiment').length,
            status,
          })),
          problems: result.problems,
        },
        null,
        2,
      )}\n`,
    );
    return EXIT.ok;
  }

  if (rows.length === 0) {
    if (broken) io.err(`${MESSAGES.brokenLessons(broken)}\n`);
    throw new UserError(MESSAGES.noLessons(displayPath(dir, io.cwd)));
  }
  const cs = io.charset;
  const titles = rows.map((r) => clip(renderInline(r.lesson.title, cs), 52, cs));
  const titleWidth = Math.max(...titles.map((t) => [...t].length));
  const numWidth = Math.max(...rows.map((r) => String(r.lesson.number).length));
  const total = rows.reduce((m, r) => m + r.lesson.minutes, 0);
  const out: string[] = [`Lessons: ${rows.length}, about ${duration(total)} in all`, ''];
  rows.forEach(({ lesson: l, status }, i) => {
    const state = status.state === 'done' ? 'done' : status.state === 'in-progress' ? `step ${status.step}/${status.of}` : '';
    const title = titles[i]!.padEnd(titleWidth + (titles[i]!.length - [...titles[i]!].length));
    out.push(`  ${MARKS[cs][status.state]}  ${String(l.number).padStart(numWidth)}  ${title}  ${`${l.minutes} min`.padStart(6)}${state ? `  ${state}` : ''}`);
  });
  out.push('');
  const next = rows.find((r) => r.status.state === 'in-progress') ?? rows.find((r) => r.status.state === 'not-started');
  const m = MARKS[cs];
  out.push(`${m.done} done  ${m['in-progress']} in progress  ${m['not-started']} not started`);
  out.push(
    next
      ? `${next.status.state === 'in-progress' ? 'Continue' : 'Start'} with \`resnet-tutor learn ${next.lesson.number}\`.`
      : 'All lessons done. Revisit one with `resnet-tutor learn <number>`.',
  );
  io.out(`${out.join('\n')}\n`);
  if (broken) io.err(`${MESSAGES.brokenLessons(broken)}\n`);
  return EXIT.ok;
}

function describeSteps(l: Lesson): string {
  const q = l.steps.filter((s) => s.kind === 'question').length;
  const e = l.steps.filter((s) => s.kind === 'experiment').length;
  return `${l.steps.length} steps: ${count(q, 'question')}, ${count(e, 'experiment')}`;
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

function duration(minutes: number): string {
  const m = Math.round(minutes);
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}`;
}

function clip(s: string, width: number, cs: Charset): string {
  const chars = [...s];
  if (chars.length <= width) return s;
  return cs === 'unicode' ? `${chars.slice(0, width - 1).join('')}…` : `${chars.slice(0, width - 3).join('')}...`;
}
