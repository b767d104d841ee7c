import { UserError } from '../../util/errors.js';
import { loadLessons } from '../../lessons/load.js';
import { readSavedProgress } from '../../stores/progress-file.js';
import { formatProblem } from '../../lessons/types.js';
import { detectTerminal } from '../../ui/terminal.js';

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
    // Read without conf (a few hundred ms to load): the store opens after the menu is drawn, and
    // reports and backs up a file that cannot be read.
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
