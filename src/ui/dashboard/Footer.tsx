import { Text } from 'ink';
import { toAscii } from '../terminal.js';
import { PANELS, type Panel } from './state.js';

export type Props = {
  readonly panel: Panel;
  readonly width: number;
  readonly paused: boolean;
  /** False on non-UTF-8 terminals: glyphs become ASCII. */
  readonly unicode: boolean;
  /** `watch`: no pause or checkpoint key; q leaves. */
  readonly readOnly?: boolean;
};

/** Panel tabs and the keys, on one line. */
export function Footer({ panel, width, paused, unicode, readOnly = false }: Props) {
  const tabs = PANELS.map((name, i) => (i === panel ? `[${i + 1} ${name}]` : ` ${i + 1} ${name} `)).join('');
  // The longest key list that fits; watching has fewer keys and always says q leaves.
  const choices = readOnly
    ? ['watching · l log · s/S smooth · ? help · q leave', '? help · q leave (read-only)', 'q leave']
    : [`p ${paused ? 'resume' : 'pause'} · c ckpt · l log · s/S smooth · ? help · q quit`, 'p c l s/S ? q'];
  const keys = choices.find((k) => tabs.length + 2 + k.length <= width) ?? choices[choices.length - 1]!;
  const line = `${tabs}  ${keys}`;
  return <Text inverse>{(unicode ? line : toAscii(line)).slice(0, width).padEnd(width)}</Text>;
}
