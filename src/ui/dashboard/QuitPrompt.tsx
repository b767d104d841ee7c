import { Text } from 'ink';
import { toAscii } from '../terminal.js';

export type Props = {
  readonly width: number;
  readonly quitting: 'stop' | 'background' | null;
  /** False on non-UTF-8 terminals: glyphs become ASCII. @default true */
  readonly unicode?: boolean;
};

/** The question `q` asks, then what is happening while runs stop. */
export function QuitPrompt({ width, quitting, unicode = true }: Props) {
  const text =
    quitting === 'stop'
      ? 'Stopping: finishing the step and writing a checkpoint…'
      : quitting === 'background'
        ? 'Handing over: writing a checkpoint, then training continues in the background…'
        : 'Quit? s = stop with a checkpoint · b = keep training in the background · Esc = cancel';
  return (
    <Text color="yellow" bold>
      {(unicode ? text : toAscii(text)).slice(0, width)}
    </Text>
  );
}
