import { Box, Text } from 'ink';
import { fitLine } from './fit.js';

export type Props = {
  /** Columns the help may use. */
  readonly width: number;
  /** Lines the help may use; the rest is left out (the list is short enough for 60x16). */
  readonly rows: number;
  readonly unicode: boolean;
};

/** Every key of the tutor, by where it works. */
export const TUTOR_HELP_LINES = [
  'Keys (any key closes this help)',
  '  Enter / → / n   next step (after an answer or an experiment too)',
  '  ← / b           previous step (in a question: ← only; letters are text)',
  '  j k ↑ ↓         scroll the step one line',
  '  PgDn PgUp Space scroll a page; Home / End (g / G): top / end',
  '  q / Esc         back to the lesson menu (progress is saved)',
  'Questions',
  '  letters, digits type the answer; Backspace erases; Enter answers',
  '  h hint (in an empty number field too) · r answer again',
  'Experiments',
  '  Enter run · s skip · p pause / resume · r run again',
  '  q while running asks before stopping (a checkpoint is kept)',
  'Menu: ↑ ↓ choose · Enter open · a digit opens that lesson · q quits',
  'Ctrl-C quits at once (a running experiment keeps a checkpoint).',
] as const;

/** The help screen `?` opens. */
export function TutorHelp({ width, rows, unicode }: Props) {
  const lines = TUTOR_HELP_LINES.slice(0, rows);
  return (
    <Box flexDirection="column" width={width}>
      {lines.map((l, i) => (
        <Text key={i} bold={!l.startsWith(' ')} wrap="truncate">
          {fitLine(l, width, unicode)}
        </Text>
      ))}
    </Box>
  );
}
