import type { MetricsLine } from '../../engine/trainer.js';
import { gradeAnswer } from '../../lessons/grade.js';
import type { Lesson, Question, Step } from '../../lessons/types.js';
import type { RunPredictions } from '../../lessons/experiment-runner.js';

/**
 * The tutor's state and its one reducer. Keys and experiment events are `TutorEvent`s; what they ask
 * the program to do (save progress, start or stop an experiment, quit) comes back as `commands`.
 * Learner actions, rustlings style: open a lesson, next/previous step, answer, hint, retry, run, skip.
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
  /** A probe's rendered chart and table. */
  readonly probeText: string;
  /** `show: segmentation`: each run's masks on a few validation images, drawn when present. */
  readonly predictions?: readonly RunPredictions[];
  /** Measured outcome, one entry per run, for the comparison with the prediction. */
  readonly measured: readonly { readonly label: string; readonly value: number }[];
  readonly error: string;
}

export type Feedback =
  | { readonly kind: 'graded'; readonly correct: boolean; readonly expected: string; readonly given: string }
  | { readonly kind: 'invalid'; readonly message: string };

export interface TutorState {
  readonly lessons: readonly Lesson[];
  readonly screen: 'menu' | 'lesson';
  readonly menuIndex: number;
  readonly lessonIndex: number;
  readonly step: number;
  /** First visible line of the current step (long text scrolls). */
  readonly scroll: number;
  /** What the learner typed (numeric) or chose (option labels, comma separated). */
  readonly input: string;
  readonly feedback: Feedback | null;
  readonly hint: boolean;
  readonly experiment: ExperimentState | null;
  /** Problems with lesson files that were left out (shown on the menu). */
  readonly problems: readonly string[];
  /** Completed lessons and steps reached, from the progress store. */
  readonly progress: Readonly<Record<string, { step: number; completed: boolean }>>;
}

export type TutorEvent =
  | {
      readonly type: 'key';
      readonly input: string;
      readonly leftArrow?: boolean;
      readonly rightArrow?: boolean;
      readonly upArrow?: boolean;
      readonly downArrow?: boolean;
      readonly return?: boolean;
      readonly escape?: boolean;
      readonly backspace?: boolean;
      readonly ctrl?: boolean;
    }
  | {
      readonly type: 'experiment';
      readonly update: Partial<ExperimentState> & {
        readonly runUpdate?: { id: string; lines?: readonly MetricsLine[]; totalSteps?: number; status?: string };
      };
    };

export type TutorCommand =
  | { readonly type: 'reach-step'; readonly lessonId: string; readonly step: number }
  | { readonly type: 'complete'; readonly lessonId: string }
  | { readonly type: 'answer'; readonly lessonId: string; readonly key: string; readonly given: string; readonly correct: boolean }
  | { readonly type: 'run-experiment'; readonly lessonId: string; readonly step: number }
  | { readonly type: 'pause-experiment' | 'resume-experiment' | 'skip-experiment' }
  | { readonly type: 'quit' };

export const EMPTY_EXPERIMENT: ExperimentState = { status: 'idle', runs: [], message: '', probeText: '', measured: [], error: '' };

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
    input: '',
    feedback: null,
    hint: false,
    experiment: null,
    problems,
    progress,
  };
  if (open) return openLesson(base, open.lessonIndex).state;
  // Start the menu on the first lesson not yet done.
  const next = lessons.findIndex((l) => !progress[l.id]?.completed);
  return { ...base, menuIndex: next < 0 ? 0 : next };
}

export function currentLesson(s: TutorState): Lesson | undefined {
  return s.lessons[s.lessonIndex];
}

export function currentStep(s: TutorState): Step | undefined {
  return currentLesson(s)?.steps[s.step];
}

type Result = { state: TutorState; commands: TutorCommand[] };

export function reduceTutor(state: TutorState, event: TutorEvent): Result {
  if (event.type === 'experiment') return { state: onExperiment(state, event.update), commands: [] };
  if (event.ctrl && event.input === 'c') return { state, commands: [{ type: 'quit' }] };
  if (event.input.length > 1 && !event.ctrl) {
    // Pasted or fast-typed text arrives as one string: take it a character at a time.
    let next = state;
    const commands: TutorCommand[] = [];
    for (const ch of event.input) {
      const r = reduceTutor(next, { type: 'key', input: ch });
      next = r.state;
      commands.push(...r.commands);
    }
    return { state: next, commands };
  }
  return state.screen === 'menu' ? onMenuKey(state, event) : onLessonKey(state, event);
}

function onMenuKey(s: TutorState, k: Extract<TutorEvent, { type: 'key' }>): Result {
  const n = s.lessons.length;
  if (k.input === 'q' || k.escape) return { state: s, commands: [{ type: 'quit' }] };
  if (k.upArrow || k.input === 'k') return { state: { ...s, menuIndex: Math.max(0, s.menuIndex - 1) }, commands: [] };
  if (k.downArrow || k.input === 'j') return { state: { ...s, menuIndex: Math.min(n - 1, s.menuIndex + 1) }, commands: [] };
  if (/^[1-9]$/.test(k.input)) {
    const i = s.lessons.findIndex((l) => l.number === Number(k.input));
    if (i >= 0) return openLesson(s, i);
  }
  if ((k.return || k.rightArrow) && n > 0) return openLesson(s, s.menuIndex);
  return { state: s, commands: [] };
}

/** Opens a lesson at the step the learner reached last time. */
export function openLesson(s: TutorState, index: number): Result {
  const lesson = s.lessons[index];
  if (!lesson) return { state: s, commands: [] };
  const saved = s.progress[lesson.id];
  const step = saved && !saved.completed ? Math.min(saved.step, lesson.steps.length - 1) : 0;
  return { state: atStep({ ...s, screen: 'lesson', lessonIndex: index, menuIndex: index }, step), commands: [] };
}

function atStep(s: TutorState, step: number): TutorState {
  return {
    ...s,
    step,
    scroll: 0,
    input: '',
    feedback: null,
    hint: false,
    experiment: currentLessonStep(s, step)?.kind === 'experiment' ? EMPTY_EXPERIMENT : null,
  };
}

function currentLessonStep(s: TutorState, step: number): Step | undefined {
  return s.lessons[s.lessonIndex]?.steps[step];
}

function onLessonKey(s: TutorState, k: Extract<TutorEvent, { type: 'key' }>): Result {
  const lesson = currentLesson(s)!;
  const step = currentStep(s)!;
  const running = s.experiment?.status === 'running' || s.experiment?.status === 'paused';
  const question = step.kind === 'question' ? step.question : null;
  const answered = s.feedback?.kind === 'graded';

  // Typing an answer comes first, so option letters and digits are never taken as commands.
  if (question && !answered) {
    const typed = typeAnswer(s, question, k);
    if (typed) return typed;
  }
  if (k.input === 'q' || k.escape) {
    if (running) return { state: s, commands: [{ type: 'skip-experiment' }] };
    return { state: { ...s, screen: 'menu' }, commands: [{ type: 'reach-step', lessonId: lesson.id, step: s.step }] };
  }
  if (k.downArrow || k.input === 'j') return { state: { ...s, scroll: s.scroll + 1 }, commands: [] };
  if (k.upArrow || k.input === 'k') return { state: { ...s, scroll: Math.max(0, s.scroll - 1) }, commands: [] };
  if (step.kind === 'question' && k.input === 'h') return { state: { ...s, hint: true }, commands: [] };
  if (step.kind === 'question' && answered && k.input === 'r') return { state: { ...s, input: '', feedback: null }, commands: [] };
  if (step.kind === 'experiment') {
    const status = s.experiment?.status ?? 'idle';
    if ((k.return || k.input === ' ') && (status === 'idle' || status === 'failed')) {
      return {
        state: { ...s, experiment: { ...EMPTY_EXPERIMENT, status: 'running', message: 'starting…' } },
        commands: [{ type: 'run-experiment', lessonId: lesson.id, step: s.step }],
      };
    }
    if (k.input === 'p' && running) {
      const paused = status === 'paused';
      return {
        state: { ...s, experiment: { ...s.experiment!, status: paused ? 'running' : 'paused' } },
        commands: [{ type: paused ? 'resume-experiment' : 'pause-experiment' }],
      };
    }
    if (k.input === 's' && (running || status === 'idle')) {
      return {
        state: { ...s, experiment: { ...(s.experiment ?? EMPTY_EXPERIMENT), status: 'skipped' } },
        commands: running ? [{ type: 'skip-experiment' }] : [],
      };
    }
    if (running && (k.rightArrow || k.input === 'n' || k.leftArrow || k.input === 'b')) {
      // Leaving a running experiment would lose it: say how to stop it instead.
      return {
        state: { ...s, experiment: { ...s.experiment!, message: 'The experiment is running: p pauses it, s skips it.' } },
        commands: [],
      };
    }
  }
  if (k.rightArrow || k.input === 'n' || (k.return && step.kind !== 'experiment')) {
    if (s.step + 1 >= lesson.steps.length) {
      return {
        state: {
          ...s,
          screen: 'menu',
          menuIndex: Math.min(s.lessons.length - 1, s.lessonIndex + 1),
          progress: { ...s.progress, [lesson.id]: { step: s.step, completed: true } },
        },
        commands: [{ type: 'complete', lessonId: lesson.id }],
      };
    }
    const next = atStep(s, s.step + 1);
    return {
      state: {
        ...next,
        progress: { ...s.progress, [lesson.id]: { step: s.step + 1, completed: s.progress[lesson.id]?.completed ?? false } },
      },
      commands: [{ type: 'reach-step', lessonId: lesson.id, step: s.step + 1 }],
    };
  }
  if (k.leftArrow || k.input === 'b') {
    if (s.step === 0) return { state: { ...s, screen: 'menu' }, commands: [] };
    return { state: atStep(s, s.step - 1), commands: [] };
  }
  return { state: s, commands: [] };
}

/** Keys while a question waits for its answer: option letters, digits, backspace, Enter. */
function typeAnswer(s: TutorState, q: Question, k: Extract<TutorEvent, { type: 'key' }>): Result | null {
  const lesson = currentLesson(s)!;
  if (k.return) {
    if (s.input.trim() === '') {
      const what =
        q.type === 'numeric'
          ? 'Type a number'
          : q.type === 'single'
            ? 'Press the letter of your choice'
            : 'Press the letters of your choices';
      return { state: { ...s, feedback: { kind: 'invalid', message: `${what}, then Enter (→ skips the question).` } }, commands: [] };
    }
    const grade = gradeAnswer(q, s.input);
    if (!grade.valid) return { state: { ...s, feedback: { kind: 'invalid', message: grade.message } }, commands: [] };
    return {
      state: { ...s, feedback: { kind: 'graded', correct: grade.correct, expected: grade.expected, given: s.input } },
      commands: [{ type: 'answer', lessonId: lesson.id, key: q.key, given: s.input, correct: grade.correct }],
    };
  }
  if (k.backspace) return { state: { ...s, input: s.input.slice(0, -1), feedback: null }, commands: [] };
  if (q.type === 'numeric') {
    if (/^[0-9.eE+-]$/.test(k.input) || (k.input === ',' && s.input !== ''))
      return { state: { ...s, input: s.input + k.input, feedback: null }, commands: [] };
    return null;
  }
  const label = k.input.toLowerCase();
  if (!q.options.some((o) => o.label === label)) return null;
  if (q.type === 'single') return { state: { ...s, input: label, feedback: null }, commands: [] };
  const chosen = new Set(s.input.split(',').filter(Boolean));
  if (chosen.has(label)) chosen.delete(label);
  else chosen.add(label);
  const ordered = q.options.map((o) => o.label).filter((l) => chosen.has(l));
  return { state: { ...s, input: ordered.join(','), feedback: null }, commands: [] };
}

function onExperiment(s: TutorState, u: Extract<TutorEvent, { type: 'experiment' }>['update']): TutorState {
  if (!s.experiment) return s;
  const { runUpdate, ...rest } = u;
  let runs = s.experiment.runs;
  if (runUpdate) {
    const exists = runs.some((r) => r.id === runUpdate.id);
    runs = exists
      ? runs.map((r) =>
          r.id === runUpdate.id
            ? {
                ...r,
                lines: runUpdate.lines ? [...r.lines, ...runUpdate.lines].slice(-2000) : r.lines,
                totalSteps: runUpdate.totalSteps ?? r.totalSteps,
                status: runUpdate.status ?? r.status,
              }
            : r,
        )
      : runs;
  }
  return { ...s, experiment: { ...s.experiment, ...rest, ...(rest.runs ? {} : { runs }) } };
}
