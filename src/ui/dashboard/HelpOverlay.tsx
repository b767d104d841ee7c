import { Box, Text } from 'ink';

export type Props = {
  readonly width: number;
  /** `watch`: the keys that act on training are left out. */
  readonly readOnly?: boolean;
};

export const HELP_LINES = [
  'Keys',
  '  p        pause or resume training',
  '  c        write a checkpoint now',
  '  q        quit: stop with a checkpoint, or keep training in the background',
  '  Tab 1-4  switch panel: loss, gradients, variance, system',
  '  l        log scale for the loss chart',
  '  s / S    less / more smoothing (EMA) of loss and accuracy',
  '  Ctrl-C   stop with a checkpoint (twice: exit at once)',
  '  ?        this help (any key closes it)',
  '',
  'Reading the charts',
  '  Gradient norms and activation variances are per block, input side left.',
  "  Without BatchNorm, a residual net's variance roughly doubles per block",
  '  (lesson 6); with BatchNorm it grows about linearly (lesson 7).',
];

/** What `watch` shows instead of the keys that act on training. */
export const WATCH_HELP_LINES = [
  'Keys (watching: the run trains in another process and is not affected)',
  '  q        leave (Ctrl-C too); the run keeps going',
  ...HELP_LINES.slice(4, 7),
  '  ?        this help (any key closes it)',
  '  clock    time since the run was created (run.json), gaps between resumes too',
  ...HELP_LINES.slice(9),
];

/** Full key help, shown over the panel until any key is pressed. */
export function HelpOverlay({ width, readOnly = false }: Props) {
  return (
    <Box flexDirection="column" width={width}>
      {(readOnly ? WATCH_HELP_LINES : HELP_LINES).map((l, i) => (
        <Text key={i} bold={i === 0 || l === 'Reading the charts'}>
          {l.slice(0, width)}
        </Text>
      ))}
    </Box>
  );
}
