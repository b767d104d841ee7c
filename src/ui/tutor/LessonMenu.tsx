import { Box, Text } from 'ink';
import type { Lesson } from '../../lessons/types.js';
import { fitLine } from './fit.js';

export type Props = {
  readonly lessons: readonly Lesson[];
  readonly selected: number;
  readonly progress: Readonly<Record<string, { step: number; completed: boolean }>>;
  readonly problems: readonly string[];
  readonly width: number;
  readonly unicode: boolean;
};

/** The lesson list with progress marks; Enter opens the selected lesson. */
export function LessonMenu({ lessons, selected, progress, problems, width, unicode }: Props) {
  const marks = unicode ? { done: '✓', going: '▸', none: '·', cursor: '›' } : { done: 'x', going: '>', none: '.', cursor: '>' };
  return (
    <Box flexDirection="column" width={width}>
      <Text bold>resnet-tutor: Residual Networks, lesson by lesson</Text>
      <Text dimColor>{fitLine('Every claim of the lecture, run on real data. Your progress is saved as you go.', width, unicode)}</Text>
      <Text> </Text>
      {lessons.map((l, i) => {
        const p = progress[l.id];
        const mark = p?.completed ? marks.done : p && p.step > 0 ? marks.going : marks.none;
        const where = p && !p.completed && p.step > 0 ? `  step ${p.step + 1}/${l.steps.length}` : '';
        const line = `${i === selected ? marks.cursor : ' '} ${mark} ${String(l.number).padStart(2)}  ${l.title}${where}`;
        return (
          <Text key={l.id} bold={i === selected} inverse={i === selected}>
            {fitLine(line, width, unicode).padEnd(Math.min(width, line.length))}
          </Text>
        );
      })}
      <Text> </Text>
      {lessons[selected] ? <Text wrap="wrap">{fitLine(lessons[selected].summary, width * 2, unicode)}</Text> : null}
      {problems.length > 0 ? (
        <Text color="yellow">
          {fitLine(`${problems.length} lesson file problem(s): run \`resnet-tutor lessons --check\`.`, width, unicode)}
        </Text>
      ) : null}
    </Box>
  );
}
