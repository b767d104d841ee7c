import { Box, Text } from 'ink';
import { useEffect } from 'react';
import { renderInline } from '../../lessons/math.js';
import type { Lesson } from '../../lessons/types.js';
import { answering } from './actions.js';
import { fitLine } from './fit.js';
import { bodyLines, CHROME_LINES, visibleBody, type Line, type Look } from './body.js';
import type { TutorState } from './state.js';

export type Props = {
  readonly state: TutorState;
  readonly lesson: Lesson;
  /** The terminal's size: the view never draws more lines or wider lines. */
  readonly columns: number;
  readonly rows: number;
  readonly color: boolean;
  readonly unicode: boolean;
  /** Told how far the body can scroll and how tall a page is, whenever that changes. */
  readonly onLayout?: (maxScroll: number, page: number) => void;
};

export const CONFIRM_STOP = 'Stop the experiment? y stops it (keeping a checkpoint) and opens the menu; any other key goes on.';

/** One step of a lesson: header, title, the body's visible part, and the keys that apply. */
export function LessonView({ state, lesson, columns, rows, color, unicode, onLayout }: Props) {
  const width = columns - 1;
  const look: Look = { color, unicode, charset: unicode ? 'unicode' : 'ascii' };
  const fix = (t: string) => fitLine(t, width, unicode);
  const step = lesson.steps[state.step]!;
  const where = `step ${state.step + 1}/${lesson.steps.length} · ${step.kind}`;
  const header = `Lesson ${lesson.number} · ${lesson.title}`;
  const title = step.title ? renderInline(step.title, look.charset) : step.kind === 'experiment' ? step.experiment.title : '';
  const room = Math.max(1, rows - CHROME_LINES);
  const body = bodyLines(state, lesson, width, room, look);
  const { lines, maxScroll, page } = visibleBody(body, room, state.scroll, unicode);
  useEffect(() => onLayout?.(maxScroll, page), [onLayout, maxScroll, page]);
  const headerRoom = Math.max(10, width - where.length - 2);
  return (
    <Box flexDirection="column" width={columns} height={rows}>
      <Box width={width} justifyContent="space-between">
        <Text bold wrap="truncate">
          {fitLine(header, headerRoom, unicode)}
        </Text>
        <Text dimColor>{fix(where)}</Text>
      </Box>
      <Text bold color={color ? 'cyan' : undefined} wrap="truncate">
        {fix(title) || ' '}
      </Text>
      {lines.map((l, i) => (
        <BodyLine key={i} line={l} fix={fix} color={color} />
      ))}
      <Box flexGrow={1} />
      <Text inverse wrap="truncate">
        {fix(state.confirmStop ? CONFIRM_STOP : footerKeys(state)).padEnd(width)}
      </Text>
    </Box>
  );
}

function BodyLine({ line, fix, color }: { line: Line; fix: (t: string) => string; color: boolean }) {
  return (
    <Text color={color ? line.color : undefined} bold={line.bold} dimColor={line.dim} wrap="truncate">
      {(line.fitted ? line.text : fix(line.text)) || ' '}
    </Text>
  );
}

/** The keys that do something on this step now, most useful first. */
export function footerKeys(state: TutorState): string {
  const step = state.lessons[state.lessonIndex]!.steps[state.step]!;
  const rest = 'q menu · ? help';
  if (step.kind === 'question') {
    if (!answering(state)) return `Enter/→ next · ← back · r answer again · ${rest}`;
    const typing =
      step.question.type === 'numeric' ? 'type a number' : step.question.type === 'single' ? 'press a letter' : 'toggle letters';
    return `${typing} · Enter answer · h hint · ←/→ step · ${rest}`;
  }
  if (step.kind === 'experiment') {
    const s = state.experiment?.status ?? 'idle';
    if (s === 'running' || s === 'paused') return `p ${s === 'paused' ? 'resume' : 'pause'} · s skip · j/k scroll · q stop · ? help`;
    if (s === 'idle') return `Enter run · s skip · ← back · ${rest}`;
    if (s === 'failed') return `Enter try again · ←/→ step · ${rest}`;
    return `Enter/→ next · r run again · ← back · j/k scroll · ${rest}`;
  }
  return `Enter/→ next · ← back · j/k scroll · ${rest}`;
}
