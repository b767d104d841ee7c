import type { MetricsLine } from '../../contracts/run-folder.js';
import { gradeAnswer } from '../../lessons/grade.js';
import type { ExperimentResults, Measurement, Verdict } from '../../contracts/lesson-results.js';
import type { Lesson, Question, Step } from '../../lessons/types.js';
import type { RunPredictions } from '../../lessons/experiment-runner.js';
import { keyAction, type Action, type KeyPress, type Scroll } from './actions.js';

/**
 * The tutor's state and its one reducer. Keys become `Action`s in actions.ts; experiment updates and
 * layout reports are events too. What an action asks the program to do (save progress, start or stop
 * an experiment, quit) comes back as `commands`. Learner actions, rustlings style: open a lesson,
 * next/previous step, answer, hint, retry, run, skip.
 */
export interface ExperimentRunView {
  readonly id: string;
  readonly label: string;
  readonly lines: readonly MetricsLine[];
  readonly totalSteps: number;
  readonly status: string;
}

export interface ExperimentState {
  readonly status: 'idle' | 'running' | 'paused' | 'done' | 'skipped' | 'failed';
  readonly runs: readonly ExperimentRunView[];
  /** Progress messages (data loading, probe stages). */
  readonly message: string;
  /** A probe's rendered chart and table (shown only when `results` is absent). */
  readonly probeText: string;
  /** `show: segmentation`: each run's masks on a few validation images, drawn when present. */
  readonly predictions?: readonly RunPredictions[];
  /** Measured outcome, one entry per run (the fallback when `measurements` is absent). */
  readonly measured: readonly { readonly label: string; readonly value: number }[];
  readonly measurements?: readonly Measurement[];
  readonly verdict?: Verdict;
  readonly results?: ExperimentResults;
  /** How long this session's run took and what the lesson states for it, in seconds. */
  readonly timing?: { readonly seconds: number; readonly stated: number };
  /** When the shown results come from an earlier session (the progress file), its time. */
  readonly savedAt?: string;
  readonly error: string;
}

export type Feedback =
  | { readonly kind: 'graded'; readonly correct: boolean; readonly expected: string; readonly given: string; readonly earlier?: boolean }
  /** The first wrong answer: the hint is shown and the learner tries again before the answer is revealed. */
  | { readonly kind: 'try-again'; readonly given: string }
  | { readonly kind: 'invalid'; readonly message: string };

/** What the progress file says about one experiment, as the tutor shows it again. */
export interface SavedExperiment {
  readonly measured: Readonly<Record<string, number>>;
  readonly measurements?: readonly Measurement[];
  readonly verdict?: Verdict;
  readonly results?: ExperimentResults;
  readonly at?: string;
}

export interface LessonProgressView {
  readonly step: number;
  readonly completed: boolean;
  /** ISO time of the last change (to open the menu on the lesson in progress). */
  readonly updated?: string;
  readonly answers?: Readonly<Record<string, { readonly given: string; readonly correct: boolean; readonly attempts?: number }>>;
  readonly experiments?: Readonly<Record<string, SavedExperiment>>;
}

export interface TutorState {
  readonly lessons: readonly Lesson[];
  readonly screen: 'menu' | 'lesson';
  readonly menuIndex: number;
  readonly lessonIndex: number;
  readonly step: number;
  /** First visible line of the step's body. */
  readonly scroll: number;
  /** The body's last possible first line and its visible height, as the view last laid it out. */
  readonly layout: { readonly maxScroll: number; readonly page: number };
  /** What the learner typed (numeric) or chose (option labels, comma separated). */
  readonly input: string;
  readonly feedback: Feedback | null;
  readonly hint: boolean;
  /** Wrong answers to this question so far in this visit: the first earns a hint and another try. */
  readonly misses: number;
  readonly experiment: ExperimentState | null;
  /** The help screen (every key) is open. */
  readonly help: boolean;
  /** `q` during a running experiment: asking whether to stop it. */
  readonly confirmStop: boolean;
  /** Problems with lesson files that were left out (shown on the menu). */
  readonly problems: readonly string[];
  /** Steps reached, answers given and experiment results, from the progress store and this session. */
  readonly progress: Readonly<Record<string, LessonProgressView>>;
}

export type TutorEvent =
  | ({ readonly type: 'key' } & KeyPress)
  | {
      readonly type: 'experiment';
      readonly update: Partial<ExperimentState> & {
        readonly runUpdate?: { id: string; lines?: readonly MetricsLine[]; totalSteps?: number; status?: string };
      };
    }
  | { readonly type: 'layout'; readonly maxScroll: number; readonly page: number };

export type TutorCommand =
  | { readonly type: 'reach-step'; readonly lessonId: string; readonly step: number }
  | { readonly type: 'complete'; readonly lessonId: string }
  | { readonly type: 'answer'; readonly lessonId: string; readonly key: string; readonly given: string; readonly correct: boolean }
  | { readonly type: 'run-experiment'; readonly lessonId: string; readonly step: number }
  | { readonly type: 'pause-experiment' | 'resume-experiment' | 'skip-experiment' }
  | { readonly type: 'quit' };

export const EMPTY_EXPERIMENT: ExperimentState = { status: 'idle', runs: [], message: '', probeText: '', measured: [], error: '' };

export const MESSAGES = {
  emptyAnswer: (q: Question) =>
    `${q.type === 'numeric' ? 'Type a number' : q.type === 'single' ? 'Press the letter of your choice' : 'Press the letters of your choices'}, then Enter (→ skips the question).`,
  notANumber: (typed: string) =>
    `"${typed}" is not a number the tutor can read: use digits, one decimal point and an optional exponent (8, 0.5, 1e-3), then Enter.`,
  notAnOption: (typed: string, q: Question) =>
    q.type === 'numeric' ? '' : `"${typed}" is not an option: press one of ${q.options.map((o) => o.label).join(', ')}.`,
  leaveRunning: 'The experiment is running: p pauses it, s skips it (keeping a checkpoint).',
} as const;

export function initialTutorState(
  lessons: readonly Lesson[],
  progress: TutorState['progress'],
  problems: readonly string[] = [],
  open?: { lessonIndex: number },
): TutorState {
  const base: TutorState = {
    lessons,
    screen: 'menu',
    menuIndex: 0,
    lessonIndex: 0,
    step: 0,
    scroll: 0,
    layout: { maxScroll: 0, page: 10 },
    input: '',
    feedback: null,
    hint: false,
    misses: 0,
    experiment: null,
    help: false,
    confirmStop: false,
    problems,
    progress,
  };
  if (open) return openLesson(base, open.lessonIndex).state;
  return { ...base, menuIndex: lessonInProgress(lessons, progress) };
}

/** The lesson the learner was last working on (newest change, not completed), else the first not done. */
export function lessonInProgress(lessons: readonly Lesson[], progress: TutorState['progress']): number {
  let best = -1;
  let when = '';
  lessons.forEach((l, i) => {
    const p = progress[l.id];
    if (!p || p.completed || p.step <= 0) return;
    const t = p.updated ?? '';
    if (best < 0 || t > when) {
      best = i;
      when = t;
    }
  });
  if (best >= 0) return best;
  const next = lessons.findIndex((l) => !progress[l.id]?.completed);
  return next < 0 ? 0 : next;
}

export function currentLesson(s: TutorState): Lesson | undefined {
  return s.lessons[s.lessonIndex];
}

export function currentStep(s: TutorState): Step | undefined {
  return currentLesson(s)?.steps[s.step];
}

/** The results of the current lesson's experiments, by experiment key (saved ones and this session's). */
export function lessonResults(s: TutorState): Readonly<Record<string, ExperimentResults | undefined>> {
  const lesson = currentLesson(s);
  const saved = lesson ? s.progress[lesson.id]?.experiments : undefined;
  return Object.fromEntries(Object.entries(saved ?? {}).map(([k, v]) => [k, v.results]));
}

type Result = { state: TutorState; commands: TutorCommand[] };
const same = (state: TutorState): Result => ({ state, commands: [] });

export function reduceTutor(state: TutorState, event: TutorEvent): Result {
  if (event.type === 'experiment') return onExperiment(state, event.update);
  if (event.type === 'layout') {
    const layout = { maxScroll: Math.max(0, event.maxScroll), page: Math.max(1, event.page) };
    return same({ ...state, layout, scroll: Math.min(state.scroll, layout.maxScroll) });
  }
  const { type: _type, ...key } = event;
  if (key.input.length > 1 && !key.ctrl) return pasted(state, key.input);
  return applyAction(state, keyAction(state, key));
}

type Handler<T extends Action['type']> = (s: TutorState, a: Extract<Action, { type: T }>) => Result;

/** Each learner action's effect: one small function per action. */
const HANDLERS: { readonly [T in Action['type']]: Handler<T> } = {
  none: same,
  quit: (s) => ({ state: s, commands: [{ type: 'quit' }] }),
  help: (s) => same({ ...s, help: true }),
  'close-help': (s) => same({ ...s, help: false }),
  'menu-move': (s, a) => same({ ...s, menuIndex: Math.max(0, Math.min(s.lessons.length - 1, s.menuIndex + a.by)) }),
  'menu-open': (s) => (s.lessons.length > 0 ? openLesson(s, s.menuIndex) : same(s)),
  'menu-jump': (s, a) => {
    const i = s.lessons.findIndex((l) => l.number === a.number);
    return i >= 0 ? openLesson(s, i) : same(s);
  },
  'to-menu': (s) => ({ state: { ...s, screen: 'menu' }, commands: reachStep(s) }),
  scroll: (s, a) => same({ ...s, scroll: scrolled(s, a.to) }),
  next: (s) => next(s),
  back: (s) => (s.step === 0 ? same({ ...s, screen: 'menu' }) : same(atStep(s, s.step - 1))),
  hint: (s) => same({ ...s, hint: true }),
  retry: (s) => same({ ...s, input: '', feedback: null, hint: false, misses: 0 }),
  type: (s, a) => same(typed(s, a.text)),
  erase: (s) => same({ ...s, input: s.input.slice(0, -1), feedback: null }),
  submit: (s) => submit(s),
  run: (s) => {
    const lesson = currentLesson(s);
    return {
      state: { ...s, scroll: 0, experiment: { ...EMPTY_EXPERIMENT, status: 'running', message: 'starting…' } },
      commands: lesson ? [{ type: 'run-experiment', lessonId: lesson.id, step: s.step }] : [],
    };
  },
  pause: (s) => {
    // Keys ask for a pause only while an experiment runs.
    if (!s.experiment) return same(s);
    const paused = s.experiment.status === 'paused';
    return {
      state: { ...s, experiment: { ...s.experiment, status: paused ? 'running' : 'paused' } },
      commands: [{ type: paused ? 'resume-experiment' : 'pause-experiment' }],
    };
  },
  skip: (s) => {
    const running = s.experiment?.status === 'running' || s.experiment?.status === 'paused';
    return {
      state: { ...s, experiment: { ...(s.experiment ?? EMPTY_EXPERIMENT), status: 'skipped' } },
      commands: running ? [{ type: 'skip-experiment' }] : [],
    };
  },
  'ask-stop': (s) => same({ ...s, confirmStop: true }),
  'confirm-stop': (s, a) => {
    if (!a.yes) return same({ ...s, confirmStop: false, experiment: s.experiment && { ...s.experiment, message: MESSAGES.leaveRunning } });
    return {
      state: { ...s, confirmStop: false, screen: 'menu', experiment: s.experiment && { ...s.experiment, status: 'skipped' } },
      commands: [{ type: 'skip-experiment' }, ...reachStep(s)],
    };
  },
};

/** Saving the step reached in the current lesson, when leaving it. */
function reachStep(s: TutorState): TutorCommand[] {
  const lesson = currentLesson(s);
  return lesson ? [{ type: 'reach-step', lessonId: lesson.id, step: s.step }] : [];
}

/** Pasted or fast-typed text arrives as one string: it is taken a character at a time. */
function pasted(state: TutorState, input: string): Result {
  let next = state;
  const commands: TutorCommand[] = [];
  for (const ch of input) {
    // Keys that arrive inside the text (a fast "b" then Enter) keep their meaning.
    const enter = ch === '\r' || ch === '\n';
    const erase = ch === '\u007f' || ch === '\b';
    const r = reduceTutor(next, { type: 'key', input: enter || erase ? '' : ch, return: enter, backspace: erase });
    next = r.state;
    commands.push(...r.commands);
  }
  return { state: next, commands };
}

/** Carries out one learner action. */
export function applyAction(s: TutorState, a: Action): Result {
  // HANDLERS is keyed by action type, so the handler found takes this very action (TypeScript cannot
  // correlate the two through the union, hence the cast).
  const handler = HANDLERS[a.type] as (s: TutorState, a: Action) => Result;
  return handler(s, a);
}

function scrolled(s: TutorState, to: Scroll): number {
  const { maxScroll, page } = s.layout;
  const by = { 'line-down': 1, 'line-up': -1, 'page-down': page, 'page-up': -page, top: -Infinity, bottom: Infinity }[to];
  return Math.max(0, Math.min(maxScroll, s.scroll + by));
}

function next(s: TutorState): Result {
  const lesson = currentLesson(s)!;
  if (s.step + 1 >= lesson.steps.length) {
    const p = s.progress[lesson.id];
    return {
      state: {
        ...s,
        screen: 'menu',
        menuIndex: Math.min(s.lessons.length - 1, s.lessonIndex + 1),
        progress: { ...s.progress, [lesson.id]: { ...p, step: s.step, completed: true } },
      },
      commands: [{ type: 'complete', lessonId: lesson.id }],
    };
  }
  const moved = atStep(s, s.step + 1);
  const p = s.progress[lesson.id];
  return {
    state: {
      ...moved,
      progress: { ...s.progress, [lesson.id]: { ...p, step: Math.max(p?.step ?? 0, s.step + 1), completed: p?.completed ?? false } },
    },
    commands: [{ type: 'reach-step', lessonId: lesson.id, step: s.step + 1 }],
  };
}

/** Opens a lesson at the step the learner reached last time. */
export function openLesson(s: TutorState, index: number): Result {
  const lesson = s.lessons[index];
  if (!lesson) return same(s);
  const saved = s.progress[lesson.id];
  const step = saved && !saved.completed ? Math.min(saved.step, lesson.steps.length - 1) : 0;
  return same(atStep({ ...s, screen: 'lesson', lessonIndex: index, menuIndex: index }, step));
}

/** Moves to a step, showing what was done there before: the answer given, the experiment's results. */
function atStep(s: TutorState, step: number): TutorState {
  const lesson = s.lessons[s.lessonIndex]!;
  const target = lesson.steps[step];
  const saved = s.progress[lesson.id];
  let feedback: Feedback | null = null;
  let input = '';
  if (target?.kind === 'question') {
    const answer = saved?.answers?.[target.question.key];
    const grade = typeof answer?.given === 'string' ? gradeAnswer(target.question, answer.given) : null;
    if (answer && typeof answer.given === 'string' && grade?.valid) {
      input = answer.given;
      feedback = { kind: 'graded', correct: answer.correct, expected: grade.expected, given: answer.given, earlier: true };
    }
  }
  let experiment: ExperimentState | null = null;
  if (target?.kind === 'experiment') {
    const record = saved?.experiments?.[target.experiment.key];
    // The progress file was read as plain JSON: show a record only when it has the expected shape.
    experiment =
      record && typeof record.measured === 'object' && record.measured !== null
        ? {
            ...EMPTY_EXPERIMENT,
            status: 'done',
            measured: Object.entries(record.measured).map(([label, value]) => ({ label: label === 'result' ? '' : label, value })),
            ...(record.measurements ? { measurements: record.measurements } : {}),
            ...(record.verdict ? { verdict: record.verdict } : {}),
            ...(record.results ? { results: record.results } : {}),
            savedAt: record.at ?? '',
          }
        : EMPTY_EXPERIMENT;
  }
  return { ...s, step, scroll: 0, input, feedback, hint: false, misses: 0, confirmStop: false, experiment };
}

function typed(s: TutorState, text: string): TutorState {
  const step = currentStep(s);
  if (step?.kind !== 'question') return s;
  const q = step.question;
  if (q.type === 'numeric') return { ...s, input: s.input + text, feedback: null };
  if (!q.options.some((o) => o.label === text)) return { ...s, feedback: { kind: 'invalid', message: MESSAGES.notAnOption(text, q) } };
  if (q.type === 'single') return { ...s, input: text, feedback: null };
  const chosen = new Set(s.input.split(',').filter(Boolean));
  if (chosen.has(text)) chosen.delete(text);
  else chosen.add(text);
  return {
    ...s,
    input: q.options
      .map((o) => o.label)
      .filter((l) => chosen.has(l))
      .join(','),
    feedback: null,
  };
}

function submit(s: TutorState): Result {
  const lesson = currentLesson(s)!;
  const step = currentStep(s);
  if (step?.kind !== 'question') return same(s);
  const q = step.question;
  if (s.input.trim() === '') return same({ ...s, feedback: { kind: 'invalid', message: MESSAGES.emptyAnswer(q) } });
  if (q.type === 'numeric' && !/^\s*[-+]?(\d[\d,]*\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i.test(s.input)) {
    return same({ ...s, feedback: { kind: 'invalid', message: MESSAGES.notANumber(s.input) } });
  }
  const grade = gradeAnswer(q, s.input);
  if (!grade.valid) return same({ ...s, feedback: { kind: 'invalid', message: grade.message } });
  const firstMiss = !grade.correct && s.misses === 0;
  const command: TutorCommand = { type: 'answer', lessonId: lesson.id, key: q.key, given: s.input, correct: grade.correct };
  const answers = { ...s.progress[lesson.id]?.answers, [q.key]: { given: s.input, correct: grade.correct } };
  const progress = { ...s.progress, [lesson.id]: { ...(s.progress[lesson.id] ?? { step: s.step, completed: false }), answers } };
  if (firstMiss) {
    // The first miss shows the hint and lets the learner try again before the answer is given away.
    return {
      state: { ...s, progress, input: '', hint: true, misses: 1, feedback: { kind: 'try-again', given: s.input } },
      commands: [command],
    };
  }
  return {
    state: { ...s, progress, feedback: { kind: 'graded', correct: grade.correct, expected: grade.expected, given: s.input } },
    commands: [command],
  };
}

function onExperiment(s: TutorState, u: Extract<TutorEvent, { type: 'experiment' }>['update']): Result {
  if (!s.experiment) return same(s);
  const { runUpdate, ...rest } = u;
  let runs = s.experiment.runs;
  if (runUpdate) {
    runs = runs.map((r) =>
      r.id === runUpdate.id
        ? {
            ...r,
            lines: runUpdate.lines ? [...r.lines, ...runUpdate.lines].slice(-2000) : r.lines,
            totalSteps: runUpdate.totalSteps ?? r.totalSteps,
            status: runUpdate.status ?? r.status,
          }
        : r,
    );
  }
  const experiment: ExperimentState = { ...s.experiment, ...rest, ...(rest.runs ? {} : { runs }) };
  if (rest.status !== 'done') return same({ ...s, experiment });
  // A finished experiment's results feed the lesson's chart steps (and are saved by the program).
  const lesson = currentLesson(s)!;
  const step = currentStep(s);
  const key = step?.kind === 'experiment' ? step.experiment.key : '';
  const results = experiment.results ?? trainResultsOf(experiment, step);
  const record: SavedExperiment = {
    measured: Object.fromEntries(experiment.measured.map((m) => [m.label || 'result', m.value])),
    ...(experiment.measurements ? { measurements: experiment.measurements } : {}),
    ...(experiment.verdict ? { verdict: experiment.verdict } : {}),
    ...(results ? { results } : {}),
  };
  const p = s.progress[lesson.id] ?? { step: s.step, completed: false };
  return same({
    ...s,
    experiment: results ? { ...experiment, results } : experiment,
    progress: { ...s.progress, [lesson.id]: { ...p, experiments: { ...p.experiments, [key]: record } } },
  });
}

/**
 * A training experiment's results as the tutor watched them, for when the runner reports none: its
 * runs' metrics lines, so the lesson's chart steps can draw them.
 */
function trainResultsOf(e: ExperimentState, step: Step | undefined): ExperimentResults | undefined {
  if (step?.kind !== 'experiment' || step.experiment.kind !== 'train' || e.runs.length === 0) return undefined;
  const configs = step.experiment.quick.runs;
  return {
    kind: 'train',
    runs: e.runs.map((r, i) => ({
      label: r.label,
      seed: configs[i]?.config.seed ?? 0,
      runId: r.id,
      status: r.status === 'diverged' ? 'diverged' : r.status === 'failed' ? 'failed' : 'completed',
      lines: r.lines,
    })),
  };
}
