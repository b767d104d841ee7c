import { Box, Text } from 'ink';
import { useEffect } from 'react';
import type { Lesson } from '../../lessons/types.js';
import { fitLine } from './fit.js';
import { bodyLines, CHROME_LINES, visibleBody, type Line, type Look } from './body.js';
import { lessonChrome } from './lesson-screen.js';
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

/** One step of a lesson: header, title, the body's visible part, and the keys that apply. */
export function LessonView({ state, lesson, columns, rows, color, unicode, onLayout }: Props) {
  const width = columns - 1;
  const look: Look = { color, unicode, charset: unicode ? 'unicode' : 'ascii' };
  const fix = (t: string) => fitLine(t, width, unicode);
  const step = lesson.steps[state.step];
  const room = Math.max(1, rows - CHROME_LINES);
  const body = bodyLines(state, lesson, width, room, look);
  const { lines, maxScroll, page } = visibleBody(body, room, state.scroll, unicode);
  useEffect(() => onLayout?.(maxScroll, page), [onLayout, maxScroll, page]);
  // The reducer keeps `step` inside the lesson; a view handed anything else draws nothing.
  if (!step) return null;
  const { header, where, title, footer } = lessonChrome(state, lesson, step, look.charset);
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
        {fix(footer).padEnd(width)}
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
