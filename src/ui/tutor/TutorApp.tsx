import { Box, Text, useApp, useInput } from 'ink';
import { useCallback, useReducer, useRef } from 'react';
import type { Lesson } from '../../lessons/types.js';
import { clipText } from '../../util/format.js';
import { useTerminalSize } from '../common/use-terminal-size.js';
import { LessonMenu } from './LessonMenu.js';
import { LessonView } from './LessonView.js';
import { TutorHelp } from './TutorHelp.js';
import { fitLine } from './fit.js';
import { currentLesson, initialTutorState, reduceTutor, type TutorCommand, type TutorEvent, type TutorState } from './state.js';

export type Props = {
  readonly lessons: readonly Lesson[];
  readonly progress: TutorState['progress'];
  readonly problems: readonly string[];
  /** Open this lesson (index into `lessons`) instead of the menu. */
  readonly open?: number;
  /** Carries out what the learner asked for (saving progress, running experiments); may dispatch back. */
  readonly onCommand: (command: TutorCommand, dispatch: (e: TutorEvent) => void, state: TutorState) => void;
  readonly color: boolean;
  readonly unicode: boolean;
  /** Fixed size for tests; otherwise the terminal's, following resizes. */
  readonly size?: { columns: number; rows: number };
};

export const TUTOR_MIN_SIZE = { columns: 60, rows: 16 };

/** The tutor: a lesson menu, then a lesson step by step. Owns no progress itself (see onCommand). */
export function TutorApp({ lessons, progress, problems, open, onCommand, color, unicode, size }: Props) {
  const [state, dispatch] = useReducer(
    (s: TutorState, e: TutorEvent) => reduceTutor(s, e).state,
    undefined,
    () => initialTutorState(lessons, progress, problems, open === undefined ? undefined : { lessonIndex: open }),
  );
  const latest = useRef(state);
  latest.current = state;
  const terminal = useTerminalSize();
  const { columns, rows } = size ?? terminal;
  const app = useApp();

  // The edge: Ink's key flags become a KeyPress here; actions.ts turns it into a learner action.
  const handle = useCallback(
    (event: TutorEvent) => {
      const { state: next, commands } = reduceTutor(latest.current, event);
      latest.current = next;
      dispatch(event);
      for (const c of commands) {
        if (c.type === 'quit') app.exit();
        onCommand(c, dispatch, next);
      }
    },
    [app, onCommand],
  );
  useInput((input, key) => {
    handle({
      type: 'key',
      input,
      leftArrow: key.leftArrow,
      rightArrow: key.rightArrow,
      upArrow: key.upArrow,
      downArrow: key.downArrow,
      pageUp: key.pageUp,
      pageDown: key.pageDown,
      home: key.home,
      end: key.end,
      return: key.return,
      escape: key.escape,
      backspace: key.backspace || key.delete,
      ctrl: key.ctrl,
    });
  });
  const onLayout = useCallback((maxScroll: number, page: number) => handle({ type: 'layout', maxScroll, page }), [handle]);

  if (columns < TUTOR_MIN_SIZE.columns || rows < TUTOR_MIN_SIZE.rows) {
    return (
      <Text>
        {clipText(
          `Terminal too small (${columns}x${rows}); the tutor needs ${TUTOR_MIN_SIZE.columns}x${TUTOR_MIN_SIZE.rows}. Enlarge the window.`,
          Math.max(20, columns - 1),
        )}
      </Text>
    );
  }
  if (lessons.length === 0) {
    return <Text>No lessons to show. Run `resnet-tutor lessons --check` to see what is wrong with the lesson files.</Text>;
  }
  const lesson = currentLesson(state);
  // One line under the terminal's height: a frame as tall as the terminal makes it scroll.
  const height = rows - 1;
  const fix = (t: string) => fitLine(t, columns - 1, unicode);
  if (state.help) {
    return (
      <Box flexDirection="column" width={columns} height={height}>
        <TutorHelp width={columns - 1} rows={height} unicode={unicode} />
      </Box>
    );
  }
  const digits = Math.min(9, lessons.length);
  return (
    <Box flexDirection="column" width={columns}>
      {state.screen === 'menu' || !lesson ? (
        <>
          <LessonMenu
            lessons={lessons}
            selected={state.menuIndex}
            progress={state.progress}
            problems={problems}
            width={columns - 1}
            unicode={unicode}
          />
          <Text inverse wrap="truncate">
            {fix(`↑/↓ choose · Enter open · ${digits > 1 ? `1-${digits}` : '1'} jump to a lesson · ? help · q quit`).padEnd(columns - 1)}
          </Text>
        </>
      ) : (
        <LessonView state={state} lesson={lesson} columns={columns} rows={height} color={color} unicode={unicode} onLayout={onLayout} />
      )}
    </Box>
  );
}
