import { Box, Text, useInput } from 'ink';
import { useEffect, useReducer, useRef } from 'react';
import { Footer } from './Footer.js';
import { toAscii } from '../terminal.js';
import { clipText, wrapText } from '../../util/format.js';
import { Header } from './Header.js';
import { HelpOverlay } from './HelpOverlay.js';
import { PanelView } from './PanelView.js';
import { ProgressLine } from './ProgressLine.js';
import { QuitPrompt } from './QuitPrompt.js';
import { RunTable } from './RunTable.js';
import { initialState, reduce, type Command, type DashboardEvent, type DashboardState, type RunView } from './state.js';
import { useTerminalSize } from '../common/use-terminal-size.js';

export type Props = {
  /** The runs to show, in order (one for `train`, 2-4 for `compare`). */
  readonly runs: readonly Pick<RunView, 'id' | 'label' | 'title' | 'batchSize'>[];
  /** Subscribes to events (worker messages, system readings); returns the unsubscribe function. */
  readonly subscribe: (dispatch: (event: DashboardEvent) => void) => () => void;
  /** Carries out what keys ask for (pause, checkpoint, stop, exit). */
  readonly onCommand: (command: Command) => void;
  readonly color: boolean;
  readonly unicode: boolean;
  /** Fixed size for tests; otherwise the terminal's, following resizes. */
  readonly size?: { columns: number; rows: number };
  /** Clock for elapsed time (tests pass a fixed one). @default Date.now */
  readonly now?: () => number;
  /** `watch`: the runs train elsewhere; keys only change the view, q leaves. @default false */
  readonly readOnly?: boolean;
  /** What the elapsed time counts from (`watch`: the run's creation). @default now() at the first render */
  readonly startedAt?: number;
};

/** How often queued worker events reach the screen (keys act at once). */
export const RENDER_INTERVAL_MS = 250;

/** The smallest terminal the dashboard draws in; smaller ones get a message instead. */
export const MIN_SIZE = { columns: 60, rows: 16 };

/**
 * The live training dashboard. Everything it shows comes from worker events through the reducer in
 * state.ts; it never talks to tfjs. The live area stays one line shorter than the terminal, because
 * Ink clears and redraws the whole screen once its output reaches the terminal's height (flicker).
 */
export function Dashboard({ runs, subscribe, onCommand, color, unicode, size, now = Date.now, readOnly = false, startedAt }: Props) {
  const [state, dispatch] = useReducer(
    (s: DashboardState, e: DashboardEvent) => reduce(s, e).state,
    undefined,
    () => ({ ...initialState(runs, now(), readOnly), ...(startedAt !== undefined ? { startedAt } : {}) }),
  );
  // Keys are reduced once more against the newest state here to get the commands they ask for, so
  // the reducer stays free of effects and a key that changes nothing on screen (p, c) still acts.
  const latest = useRef(state);
  latest.current = state;
  const terminal = useTerminalSize();
  const { columns, rows } = size ?? terminal;

  useEffect(() => {
    // Worker events are applied in batches a few times a second: every render redraws the charts on
    // the main thread, which shares the CPU with training.
    let queue: DashboardEvent[] = [];
    const flush = () => {
      if (queue.length === 0) return;
      const events = queue;
      queue = [];
      dispatch({ type: 'batch', events });
    };
    const timer = setInterval(flush, RENDER_INTERVAL_MS);
    const unsubscribe = subscribe((e) => {
      queue.push(e);
    });
    return () => {
      clearInterval(timer);
      unsubscribe();
    };
  }, [subscribe]);
  useEffect(() => {
    const timer = setInterval(() => dispatch({ type: 'tick', now: now() }), 1000);
    return () => clearInterval(timer);
  }, [now]);
  useInput((input, key) => {
    const event: DashboardEvent = { type: 'key', input, ctrl: key.ctrl, tab: key.tab, escape: key.escape };
    const { state: next, commands } = reduce(latest.current, event);
    latest.current = next;
    dispatch(event);
    for (const c of commands) onCommand(c);
  });

  if (columns < MIN_SIZE.columns || rows < MIN_SIZE.rows) {
    return (
      <Text>
        {clipText(
          `Terminal too small (${columns}x${rows}); the dashboard needs ${MIN_SIZE.columns}x${MIN_SIZE.rows}. Enlarge the window, or press q and use \`resnet-tutor watch${readOnly ? ' --headless' : ''}\` for plain lines.`,
          Math.max(20, columns - 1),
        )}
      </Text>
    );
  }

  const width = columns - 1;
  const compare = state.runs.length > 1;
  const [first] = state.runs;
  if (!first) throw new Error('the dashboard shows at least one run');
  const notices = state.runs
    .flatMap((r) => notice(r))
    .flatMap((n) => wrapText(n, columns - 1))
    .slice(0, 3);
  const message = state.messages[state.messages.length - 1];
  // Fixed lines: header (2), progress (one per run, or the table in compare mode), footer, a message
  // line, notices, the prompt; the panel takes the rest, less one line kept free (see above).
  const progressLines = compare ? state.runs.length + 1 : 1;
  const fixed = 2 + progressLines + 1 + 1 + notices.length + (state.quitPrompt || state.quitting ? 1 : 0);
  const panelLines = Math.max(6, rows - 1 - fixed);
  const elapsed = (state.now - state.startedAt) / 1000;
  const paused = state.runs.some((r) => r.status === 'paused');
  const fix = (text: string) => (unicode ? text : toAscii(text));

  return (
    <Box flexDirection="column" width={columns}>
      <Header runs={state.runs} width={width} color={color} unicode={unicode} readOnly={readOnly} />
      {compare ? (
        <RunTable runs={state.runs} width={width} color={color} />
      ) : (
        <ProgressLine run={first} width={width} elapsedSeconds={elapsed} unicode={unicode} />
      )}
      <Box height={panelLines} flexDirection="column" overflow="hidden">
        {state.help ? (
          <HelpOverlay width={width} readOnly={readOnly} />
        ) : (
          <PanelView
            runs={state.runs}
            panel={state.panel}
            smoothing={state.smoothing}
            logLoss={state.logLoss}
            system={state.system}
            width={width}
            lines={panelLines}
            color={color}
            unicode={unicode}
            readOnly={readOnly}
          />
        )}
      </Box>
      {notices.map((n, i) => (
        <Text key={i} color={color ? 'red' : undefined} bold>
          {fix(clipText(n, width))}
        </Text>
      ))}
      <Text dimColor>{fix(clipText(message ?? ' ', width))}</Text>
      {state.quitPrompt || state.quitting ? <QuitPrompt width={width} quitting={state.quitting} unicode={unicode} /> : null}
      <Footer panel={state.panel} width={width} paused={paused} unicode={unicode} readOnly={readOnly} />
    </Box>
  );
}

/** Divergence and failure as messages that point somewhere useful, never stack traces. */
function notice(r: RunView): string[] {
  const who = r.label ? `${r.label}: ` : '';
  if (r.divergence) {
    const d = r.divergence;
    const where = d.what === 'loss' ? 'the loss' : `the ${d.what} of ${d.where}`;
    return [`${who}diverged at step ${d.step}: ${where} became NaN/Inf. Why: \`resnet-tutor learn 6\``];
  }
  if (r.status === 'failed') return [`${who}failed: ${firstLine(r.error ?? 'unknown error')}`];
  if (r.error) return [`${who}${firstLine(r.error)}`];
  return [];
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
