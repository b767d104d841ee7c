/**
 * What the lesson screen says around the body, worked out from the state alone: the header, where
 * the learner is, the step's title, and the footer with the keys that apply now. Pure, so the view
 * only lays these lines out (LessonView.tsx) and tests can read them without rendering.
 */
import { renderInline, type Charset } from '../../lessons/math.js';
import type { Lesson, QuestionType, Step } from '../../lessons/types.js';
import { answering } from './actions.js';
import type { TutorState } from './state.js';

export const CONFIRM_STOP = 'Stop the experiment? y stops it (keeping a checkpoint) and opens the menu; any other key goes on.';

export interface LessonChrome {
  readonly header: string;
  /** `step 2/8 · question`, shown at the header's right. */
  readonly where: string;
  readonly title: string;
  readonly footer: string;
}

export function lessonChrome(state: TutorState, lesson: Lesson, step: Step, charset: Charset): LessonChrome {
  return {
    header: `Lesson ${lesson.number} · ${lesson.title}`,
    where: `step ${state.step + 1}/${lesson.steps.length} · ${step.kind}`,
    title: step.title ? renderInline(step.title, charset) : step.kind === 'experiment' ? step.experiment.title : '',
    footer: state.confirmStop ? CONFIRM_STOP : footerKeys(state),
  };
}

const REST = 'q menu · ? help';

/** The keys that do something on this step now, most useful first. */
export function footerKeys(state: TutorState): string {
  const step = state.lessons[state.lessonIndex]?.steps[state.step];
  if (step?.kind === 'question') return questionKeys(state, step.question.type);
  if (step?.kind === 'experiment') return experimentKeys(state.experiment?.status ?? 'idle');
  return `Enter/→ next · ← back · j/k scroll · ${REST}`;
}

function questionKeys(state: TutorState, type: QuestionType): string {
  if (!answering(state)) return `Enter/→ next · ← back · r answer again · ${REST}`;
  const typing = type === 'numeric' ? 'type a number' : type === 'single' ? 'press a letter' : 'toggle letters';
  return `${typing} · Enter answer · h hint · ←/→ step · ${REST}`;
}

function experimentKeys(status: NonNullable<TutorState['experiment']>['status']): string {
  if (status === 'running' || status === 'paused')
    return `p ${status === 'paused' ? 'resume' : 'pause'} · s skip · j/k scroll · q stop · ? help`;
  if (status === 'idle') return `Enter run · s skip · ← back · ${REST}`;
  if (status === 'failed') return `Enter try again · ←/→ step · ${REST}`;
  return `Enter/→ next · r run again · ← back · j/k scroll · ${REST}`;
}
