/**
 * Keys become learner actions here, and only here (rustlings style): the reducer never reads a key
 * flag. What a key means depends on where the learner is (menu, help, an answer field, a running
 * experiment), so the mapping reads the state, but it decides nothing else.
 */
import type { Question } from '../../lessons/types.js';
import type { ExperimentState, TutorState } from './state.js';

/** A key as Ink reports it, reduced to the flags the tutor uses. */
export interface KeyPress {
  readonly input: string;
  readonly leftArrow?: boolean;
  readonly rightArrow?: boolean;
  readonly upArrow?: boolean;
  readonly downArrow?: boolean;
  readonly pageUp?: boolean;
  readonly pageDown?: boolean;
  readonly home?: boolean;
  readonly end?: boolean;
  readonly return?: boolean;
  readonly escape?: boolean;
  readonly backspace?: boolean;
  readonly ctrl?: boolean;
}

export type Scroll = 'line-down' | 'line-up' | 'page-down' | 'page-up' | 'top' | 'bottom';

export type Action =
  | { readonly type: 'quit' }
  | { readonly type: 'help' }
  | { readonly type: 'close-help' }
  | { readonly type: 'menu-move'; readonly by: 1 | -1 }
  | { readonly type: 'menu-open' }
  | { readonly type: 'menu-jump'; readonly number: number }
  | { readonly type: 'next' }
  | { readonly type: 'back' }
  | { readonly type: 'to-menu' }
  | { readonly type: 'scroll'; readonly to: Scroll }
  | { readonly type: 'hint' }
  | { readonly type: 'retry' }
  | { readonly type: 'type'; readonly text: string }
  | { readonly type: 'erase' }
  | { readonly type: 'submit' }
  | { readonly type: 'run' }
  | { readonly type: 'pause' }
  | { readonly type: 'skip' }
  | { readonly type: 'ask-stop' }
  | { readonly type: 'confirm-stop'; readonly yes: boolean }
  | { readonly type: 'none' };

const NONE: Action = { type: 'none' };

/** Each way to scroll: its key flag and, outside a numeric field, its letter. */
const SCROLLS: readonly (readonly [Scroll, keyof KeyPress, string | null])[] = [
  ['line-down', 'downArrow', 'j'],
  ['line-up', 'upArrow', 'k'],
  ['page-down', 'pageDown', ' '],
  ['page-up', 'pageUp', null],
  ['top', 'home', 'g'],
  ['bottom', 'end', 'G'],
];

/** The scroll a key asks for; `letters: false` reads only the arrow and page keys. */
function scrollOf(k: KeyPress, letters = true): Scroll | null {
  for (const [to, flag, letter] of SCROLLS) if (k[flag] || (letters && letter !== null && k.input === letter)) return to;
  return null;
}

const scrollTo = (to: Scroll | null): Action | null => (to ? { type: 'scroll', to } : null);

/** Whether an answer field has the keyboard: a question not yet answered (or being retried). */
export function answering(s: TutorState): boolean {
  const step = s.lessons[s.lessonIndex]?.steps[s.step];
  return s.screen === 'lesson' && step?.kind === 'question' && s.feedback?.kind !== 'graded';
}

type ExperimentStatus = ExperimentState['status'];
const isRunning = (status: ExperimentStatus) => status === 'running' || status === 'paused';

export function keyAction(s: TutorState, k: KeyPress): Action {
  if (k.ctrl && k.input === 'c') return { type: 'quit' };
  if (s.help) return { type: 'close-help' };
  if (s.screen === 'menu') return menuAction(s, k);
  if (s.confirmStop) return { type: 'confirm-stop', yes: k.input === 'y' || k.input === 'Y' };
  return lessonAction(s, k);
}

/** A key on a lesson step: the step arrows first, then the answer field or the step's own keys. */
function lessonAction(s: TutorState, k: KeyPress): Action {
  const step = s.lessons[s.lessonIndex]?.steps[s.step];
  if (!step) return NONE;
  const status = s.experiment?.status ?? 'idle';
  const running = isRunning(status);
  const moved = stepArrowAction(k, running);
  if (moved) return moved;
  if (answering(s) && step.kind === 'question') return answerAction(step.question, s.input, k);
  if (k.input === '?') return { type: 'help' };
  return (
    (step.kind === 'experiment' ? experimentAction(status, k) : null) ??
    (step.kind === 'question' && k.input === 'r' ? { type: 'retry' } : null) ??
    browseAction(k, running)
  );
}

/** ←, → and Esc leave the step, or ask first while an experiment runs. */
function stepArrowAction(k: KeyPress, running: boolean): Action | null {
  if (!k.leftArrow && !k.rightArrow && !k.escape) return null;
  if (running) return { type: 'ask-stop' };
  return k.leftArrow ? { type: 'back' } : k.rightArrow ? { type: 'next' } : { type: 'to-menu' };
}

/** A key while an answer field has the keyboard. */
function answerAction(q: Question, input: string, k: KeyPress): Action {
  if (k.return) return { type: 'submit' };
  if (k.backspace) return { type: 'erase' };
  const arrow = scrollTo(scrollOf(k, false));
  if (arrow) return arrow;
  if (k.input === '?') return { type: 'help' };
  return q.type === 'numeric' ? numericAction(input, k) : optionAction(q, k);
}

/**
 * In a numeric field every printable key is text (so `2^3` is refused, not read as 23), except the
 * command letters while the field is still empty.
 */
function numericAction(input: string, k: KeyPress): Action {
  if (input === '' && k.input === 'h') return { type: 'hint' };
  if (input === '' && k.input === 'q') return { type: 'to-menu' };
  return typedAction(k, k.input);
}

/** Choosing options: their letters toggle, the command letters and j/k/g/G keep their meaning. */
function optionAction(q: Exclude<Question, { type: 'numeric' }>, k: KeyPress): Action {
  const label = k.input.toLowerCase();
  if (q.options.some((o) => o.label === label)) return { type: 'type', text: label };
  if (k.input === 'h') return { type: 'hint' };
  if (k.input === 'q') return { type: 'to-menu' };
  if (k.input !== ' ') return scrollTo(scrollOf(k)) ?? typedAction(k, label);
  return typedAction(k, label);
}

const typedAction = (k: KeyPress, text: string): Action => (k.input.trim() && !k.ctrl ? { type: 'type', text } : NONE);

/** An experiment step's own keys: pause and skip while it runs, run (again) or skip when it does not. */
function experimentAction(status: ExperimentStatus, k: KeyPress): Action | null {
  if (isRunning(status)) {
    if (k.input === 'p') return { type: 'pause' };
    if (k.input === 's') return { type: 'skip' };
    if (k.input === 'q') return { type: 'ask-stop' };
    return null;
  }
  if ((status === 'idle' || status === 'failed') && k.return) return { type: 'run' };
  if ((status === 'done' || status === 'skipped') && k.input === 'r') return { type: 'run' };
  if (status === 'idle' && k.input === 's') return { type: 'skip' };
  return null;
}

/** Reading a step: menu, scrolling, and (unless an experiment runs) next and back. */
function browseAction(k: KeyPress, running: boolean): Action {
  if (k.input === 'q') return { type: 'to-menu' };
  const scroll = scrollTo(scrollOf(k));
  if (scroll) return scroll;
  if (running) return NONE;
  if (k.return || k.input === 'n') return { type: 'next' };
  if (k.input === 'b') return { type: 'back' };
  return NONE;
}

function menuAction(s: TutorState, k: KeyPress): Action {
  if (k.input === 'q' || k.escape) return { type: 'quit' };
  if (k.input === '?') return { type: 'help' };
  if (k.upArrow || k.input === 'k') return { type: 'menu-move', by: -1 };
  if (k.downArrow || k.input === 'j') return { type: 'menu-move', by: 1 };
  if (/^[1-9]$/.test(k.input) && Number(k.input) <= s.lessons.length) return { type: 'menu-jump', number: Number(k.input) };
  if (k.return || k.rightArrow) return { type: 'menu-open' };
  return NONE;
}
