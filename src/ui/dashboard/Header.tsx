import { Box, Text } from 'ink';
import { toAscii } from '../terminal.js';
import { clipText } from '../../util/format.js';
import type { RunView } from './state.js';

export type Props = {
  readonly runs: readonly RunView[];
  readonly width: number;
  readonly color: boolean;
  /** False on non-UTF-8 terminals: glyphs become ASCII. */
  readonly unicode: boolean;
  /** `watch`: the name says so, since no key acts on the runs. */
  readonly readOnly?: boolean;
};

const STATUS_COLOR: Record<RunView['status'], string> = {
  starting: 'gray',
  running: 'green',
  paused: 'yellow',
  interrupted: 'yellow',
  completed: 'cyan',
  diverged: 'red',
  failed: 'red',
};

/** Two lines: the run (or comparison) and its status; then model, data set, backend and device. */
export function Header({ runs, width, color, unicode, readOnly = false }: Props) {
  const t = (text: string) => (unicode ? text : toAscii(text));
  const first = runs[0];
  const backend = first?.backend;
  const device = backend ? `${backend.name} backend, ${backend.device}` : 'starting the engine…';
  const status = runs.length === 1 && first ? first.status : summarise(runs);
  const name =
    runs.length === 1 && first
      ? `${readOnly ? 'watching ' : ''}run ${first.id}`
      : `${readOnly ? 'watching' : 'compare'} ${runs.length} runs: ${runs.map((r) => r.label).join(' vs ')}`;
  const statusColor = color && runs.length === 1 && first ? STATUS_COLOR[first.status] : undefined;
  return (
    <Box flexDirection="column" width={width}>
      <Box width={width} justifyContent="space-between">
        <Text bold>{t(clipText(name, Math.max(10, width - status.length - 2)))}</Text>
        <Text color={statusColor} bold>
          {status}
        </Text>
      </Box>
      <Text dimColor>
        {t(clipText(`${runs.length > 1 ? commonTitle(runs.map((r) => r.title)) : (first?.title ?? '')} · ${device}`, width))}
      </Text>
    </Box>
  );
}

/** What compared runs share, word by word, with `*` where they differ: "mlp * d8 w64 on fashion-mnist". */
export function commonTitle(titles: readonly string[]): string {
  const split = titles.map((t) => t.split(' '));
  const longest = Math.max(...split.map((w) => w.length));
  return Array.from({ length: longest }, (_, i) => {
    const words = new Set(split.map((w) => w[i] ?? ''));
    return words.size === 1 ? [...words][0] : '*';
  }).join(' ');
}

function summarise(runs: readonly RunView[]): string {
  const counts = new Map<string, number>();
  for (const r of runs) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  return [...counts.entries()].map(([s, n]) => `${n} ${s}`).join(', ');
}
