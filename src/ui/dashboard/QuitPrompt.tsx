import { Text } from 'ink';

export type Props = {
  readonly width: number;
  readonly quitting: 'stop' | 'background' | null;
};

/** The question `q` asks, then what is happening while runs stop. */
export function QuitPrompt({ width, quitting }: Props) {
  const text =
    quitting === 'stop'
      ? 'Stopping: finishing the step and writing a checkpoint…'
      : quitting === 'background'
        ? 'Handing over: writing a checkpoint, then training continues in the background…'
        : 'Quit? s = stop with a checkpoint · b = keep training in the background · Esc = cancel';
  return (
    <Text color="yellow" bold>
      {text.slice(0, width)}
    </Text>
  );
}
