import { UserError } from '../../util/errors.js';
import { loadLessons } from '../../lessons/load.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configDir } from '../../stores/settings.js';
import { formatProblem } from '../../lessons/types.js';
import { detectTerminal } from '../../ui/terminal.js';
import type { LessonProgressView } from '../../ui/tutor/state.js';

export const MESSAGES = {
  notInteractive:
    'The tutor needs an interactive terminal (stdin and stdout a TTY, TERM not "dumb"). List the lessons with `resnet-tutor lessons`, or run experiments headless with `resnet-tutor train` and `resnet-tutor probe`.',
  unknownLesson: (name: string, known: string) =>
    `There is no lesson "${name}". Lessons: ${known}. Open one with \`resnet-tutor learn <number or id>\`.`,
} as const;

export async function startTutor(opts: {
  lesson?: string;
  lessonsDir?: string;
  full: boolean;
  backend: string;
  runRoot: string;
  noColor: boolean;
}): Promise<number> {
  const loaded = loadLessons(opts.lessonsDir);
  let open: number | undefined;
  if (opts.lesson !== undefined) {
    const wanted = opts.lesson.trim();
    open = loaded.lessons.findIndex((l) => String(l.number) === wanted || l.id === wanted);
    if (open < 0) {
      throw new UserError(MESSAGES.unknownLesson(wanted, loaded.lessons.map((l) => `${l.number} ${l.id}`).join(', ')));
    }
  }
  const caps = detectTerminal(process.stdout, process.stdin, process.env, opts.noColor);
  if (!caps.interactive) throw new UserError(MESSAGES.notInteractive);
  const { runTutor } = await import('../../ui/run-tutor.js');
  return runTutor({
    lessons: loaded.lessons,
    problems: loaded.problems.filter((p) => p.severity === 'error').map(formatProblem),
    initial: readSavedProgress(),
    openStore: async () => new (await import('../../stores/progress.js')).ProgressStore(),
    ...(open !== undefined ? { open } : {}),
    runRoot: opts.runRoot,
    backend: opts.backend,
    full: opts.full,
    color: caps.color,
    unicode: caps.unicode,
  });
}

/**
 * The saved progress for the first screen, read as plain JSON: loading conf (which the progress store
 * uses to write) costs a few hundred ms, so the store opens after the menu is drawn. Anything
 * unreadable counts as no progress here; the store then reports and backs up the file.
 */
function readSavedProgress(): Record<string, Partial<LessonProgressView>> {
  try {
    const saved = JSON.parse(readFileSync(join(configDir(), 'progress.json'), 'utf8')) as {
      lessons?: Record<string, Partial<LessonProgressView>>;
    };
    return saved.lessons && typeof saved.lessons === 'object' ? saved.lessons : {};
  } catch {
    return {};
  }
}
