/**
 * Keys become learner actions here, and only here (rustlings style): the reducer never reads a key
 * flag. What a key means depends on where the learner is (menu, help, an answer field, a running
 * experiment), so the mapping reads the state, but it decides nothing else.
 */
import type { TutorState } from './state.js';

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

function scrollOf(k: KeyPress): Scroll | null {
  if (k.downArrow || k.input === 'j') return 'line-down';
  if (k.upArrow || k.input === 'k') return 'line-up';
  if (k.pageDown || k.input === ' ') return 'page-down';
  if (k.pageUp) return 'page-up';
  if (k.home || k.input === 'g') return 'top';
  if (k.end || k.input === 'G') return 'bottom';
  return null;
}

/** Whether an answer field has the keyboard: a question not yet answered (or being retried). */
export function answering(s: TutorState): boolean {
  const step = s.lessons[s.lessonIndex]?.steps[s.step];
  return s.screen === 'lesson' && step?.kind === 'question' && s.feedback?.kind !== 'graded';
}

export function keyAction(s: TutorState, k: KeyPress): Action {
  if (k.ctrl && k.input === 'c') return { type: 'quit' };
  if (s.help) return { type: 'close-help' };
  if (s.screen === 'menu') return menuAction(s, k);
  if (s.confirmStop) return { type: 'confirm-stop', yes: k.input === 'y' || k.input === 'Y' };
  const step = s.lessons[s.lessonIndex]!.steps[s.step]!;
  const status = s.experiment?.status ?? 'idle';
  const running = status === 'running' || status === 'paused';

  if (k.leftArrow) return running ? { type: 'ask-stop' } : { type: 'back' };
  if (k.rightArrow) return running ? { type: 'ask-stop' } : { type: 'next' };
  if (k.escape) return running ? { type: 'ask-stop' } : { type: 'to-menu' };
  if (answering(s)) {
    const q = step.kind === 'question' ? step.question : null;
    if (k.return) return { type: 'submit' };
    if (k.backspace) return { type: 'erase' };
    if (k.upArrow || k.downArrow || k.pageUp || k.pageDown || k.home || k.end) return { type: 'scroll', to: scrollOf(k)! };
    if (k.input === '?') return { type: 'help' };
    // In a numeric field every printable key is text (so `2^3` is refused, not read as 23), except
    // the command letters while the field is still empty.
    if (q?.type === 'numeric') {
      if (s.input === '' && k.input === 'h') return { type: 'hint' };
      if (s.input === '' && k.input === 'q') return { type: 'to-menu' };
      return k.input.trim() && !k.ctrl ? { type: 'type', text: k.input } : NONE;
    }
    const label = k.input.toLowerCase();
    if (q && q.options.some((o) => o.label === label)) return { type: 'type', text: label };
    if (k.input === 'h') return { type: 'hint' };
    if (k.input === 'q') return { type: 'to-menu' };
    const scroll = scrollOf(k);
    if (scroll && k.input !== ' ') return { type: 'scroll', to: scroll };
    return k.input.trim() && !k.ctrl ? { type: 'type', text: label } : NONE;
  }
  if (k.input === '?') return { type: 'help' };
  if (step.kind === 'experiment') {
    if (running) {
      if (k.input === 'p') return { type: 'pause' };
      if (k.input === 's') return { type: 'skip' };
      if (k.input === 'q') return { type: 'ask-stop' };
    } else {
      if ((status === 'idle' || status === 'failed') && k.return) return { type: 'run' };
      if ((status === 'done' || status === 'skipped') && k.input === 'r') return { type: 'run' };
      if (status === 'idle' && k.input === 's') return { type: 'skip' };
    }
  }
  if (step.kind === 'question' && k.input === 'r') return { type: 'retry' };
  if (k.input === 'q') return { type: 'to-menu' };
  const scroll = scrollOf(k);
  if (scroll) return { type: 'scroll', to: scroll };
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
