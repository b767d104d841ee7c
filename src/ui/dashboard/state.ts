import type { MetricsLine } from '../../contracts/run-folder.js';
import type { BackendSummary } from '../../contracts/run-folder.js';
import type { RunEvent, RunProgress } from '../../contracts/engine-protocol.js';

/**
 * The dashboard's state and the one reducer that changes it. Worker messages, keys, resizes and
 * system readings all arrive as one `DashboardEvent`; the side effects a key asks for (pause the
 * worker, write a checkpoint, quit) are returned as `commands` for the screen to carry out.
 */
export type RunStatus = 'starting' | 'running' | 'paused' | 'interrupted' | 'completed' | 'diverged' | 'failed';

export interface RunView {
  readonly id: string;
  /** What distinguishes this run in a comparison, e.g. "residual-bn" or "lr=0.1". */
  readonly label: string;
  /** e.g. "mlp residual-bn d8 w128 on fashion-mnist". */
  readonly title: string;
  readonly batchSize: number;
  readonly backend: BackendSummary | null;
  readonly units: readonly string[];
  readonly progress: RunProgress | null;
  readonly status: RunStatus;
  readonly lines: readonly MetricsLine[];
  readonly divergence?: { step: number; where: string; what: string };
  readonly error?: string;
  readonly lastCheckpoint: number | null;
}

export const PANELS = ['Loss', 'Gradients', 'Variance', 'System'] as const;
export type Panel = 0 | 1 | 2 | 3;

/** EMA smoothing factors `s` and `S` step through. */
export const SMOOTHING_LEVELS = [0, 0.6, 0.8, 0.9, 0.95] as const;

export interface SystemReading {
  readonly cpuPercent: number;
  readonly rssMb: number;
  readonly gpu?: { name: string; utilPercent: number; memUsedMb: number; memTotalMb: number };
}

export interface DashboardState {
  readonly runs: readonly RunView[];
  readonly panel: Panel;
  /** Log scale for the loss chart (gradient and variance charts are always log). */
  readonly logLoss: boolean;
  readonly smoothing: number;
  readonly help: boolean;
  readonly quitPrompt: boolean;
  /** Set once the user chose how to quit; the screen then waits for the runs to end. */
  readonly quitting: 'stop' | 'background' | null;
  /** The last few log and warning lines from the worker, newest last. */
  readonly messages: readonly string[];
  readonly system: SystemReading | null;
  readonly startedAt: number;
  readonly now: number;
  /**
   * `watch`: the runs train in another process, so no key may act on them (no pause, checkpoint or
   * stop); q and Ctrl-C only leave the screen.
   */
  readonly readOnly: boolean;
}

export type DashboardEvent =
  | { readonly type: 'worker'; readonly event: RunEvent }
  | { readonly type: 'key'; readonly input: string; readonly ctrl?: boolean; readonly tab?: boolean; readonly escape?: boolean }
  | { readonly type: 'system'; readonly reading: SystemReading }
  | { readonly type: 'tick'; readonly now: number }
  /** Several events applied in one update (one render). */
  | { readonly type: 'batch'; readonly events: readonly DashboardEvent[] };

/** What a key asks the program to do besides changing the screen. */
export type Command =
  | { readonly type: 'pause' | 'resume' | 'checkpoint'; readonly runIds: readonly string[] }
  | { readonly type: 'stop'; readonly runIds: readonly string[]; readonly background: boolean }
  | { readonly type: 'exit-now' };

/** How many metrics lines each run keeps in memory (charts downsample to their width anyway). */
export const MAX_LINES = 5000;
const MAX_MESSAGES = 3;

export function initialState(
  runs: readonly Pick<RunView, 'id' | 'label' | 'title' | 'batchSize'>[],
  now = Date.now(),
  readOnly = false,
): DashboardState {
  return {
    runs: runs.map((r) => ({ ...r, backend: null, units: [], progress: null, status: 'starting', lines: [], lastCheckpoint: null })),
    panel: 0,
    logLoss: false,
    smoothing: 0,
    help: false,
    quitPrompt: false,
    quitting: null,
    messages: [],
    system: null,
    startedAt: now,
    now,
    readOnly,
  };
}

export function isFinished(status: RunStatus): boolean {
  return status === 'interrupted' || status === 'completed' || status === 'diverged' || status === 'failed';
}

export function reduce(state: DashboardState, event: DashboardEvent): { state: DashboardState; commands: Command[] } {
  switch (event.type) {
    case 'worker':
      return { state: onWorker(state, event.event), commands: [] };
    case 'system':
      return { state: { ...state, system: event.reading }, commands: [] };
    case 'tick':
      return { state: { ...state, now: event.now }, commands: [] };
    case 'key':
      return onKey(state, event);
    case 'batch': {
      let next = state;
      const commands: Command[] = [];
      for (const e of event.events) {
        const r = reduce(next, e);
        next = r.state;
        commands.push(...r.commands);
      }
      return { state: next, commands };
    }
  }
}

function onWorker(state: DashboardState, e: RunEvent): DashboardState {
  if (e.type === 'log' || (e.type === 'error' && e.runId === null)) {
    return { ...state, messages: [...state.messages, e.message].slice(-MAX_MESSAGES) };
  }
  const update = (id: string, f: (r: RunView) => RunView): DashboardState => ({
    ...state,
    runs: state.runs.map((r) => (r.id === id ? f(r) : r)),
  });
  switch (e.type) {
    case 'started':
      return update(e.runId, (r) => ({ ...r, backend: e.backend, units: e.units, progress: e.progress, status: 'running' }));
    case 'metrics':
      return update(e.runId, (r) => {
        const last = e.lines[e.lines.length - 1];
        const progress = r.progress && last ? { ...r.progress, step: last.step, epoch: last.epoch } : r.progress;
        // A resumed run repeats the steps after its checkpoint (seen by `watch`): the new lines replace them.
        const first = e.lines[0];
        const kept =
          first && r.lines.length > 0 && r.lines[r.lines.length - 1]!.step >= first.step
            ? r.lines.filter((l) => l.step < first.step)
            : r.lines;
        return { ...r, lines: [...kept, ...e.lines].slice(-MAX_LINES), progress };
      });
    case 'status':
      return update(e.runId, (r) => ({ ...r, status: isFinished(r.status) ? r.status : e.status, progress: e.progress }));
    case 'checkpointed':
      return update(e.runId, (r) => ({ ...r, lastCheckpoint: e.step }));
    case 'error': {
      const next = update(e.runId!, (r) => ({ ...r, error: e.message }));
      return { ...next, messages: [...state.messages, e.message].slice(-MAX_MESSAGES) };
    }
    case 'done':
      return update(e.runId, (r) => ({
        ...r,
        status: e.status,
        progress: e.progress.totalSteps > 0 ? e.progress : r.progress,
        ...(e.divergence ? { divergence: e.divergence } : {}),
        ...(e.status === 'failed' && e.reason ? { error: r.error ?? e.reason } : {}),
      }));
  }
}

function onKey(state: DashboardState, key: Extract<DashboardEvent, { type: 'key' }>): { state: DashboardState; commands: Command[] } {
  const live = state.runs.filter((r) => !isFinished(r.status)).map((r) => r.id);
  const none = { state, commands: [] as Command[] };
  if (state.readOnly) {
    // Watching: leaving is the only thing that reaches beyond the screen.
    if ((key.ctrl && key.input === 'c') || (key.input === 'q' && !state.help)) return { state, commands: [{ type: 'exit-now' }] };
    if (key.input === 'p' || key.input === 'c') return none;
  }
  if (key.ctrl && key.input === 'c') {
    // Ctrl-C: like SIGINT for a headless run. The first stops with a checkpoint, the second exits now.
    if (state.quitting) return { state, commands: [{ type: 'exit-now' }] };
    return { state: { ...state, quitPrompt: false, quitting: 'stop' }, commands: [{ type: 'stop', runIds: live, background: false }] };
  }
  if (state.quitPrompt) {
    if (key.input === 's')
      return { state: { ...state, quitPrompt: false, quitting: 'stop' }, commands: [{ type: 'stop', runIds: live, background: false }] };
    if (key.input === 'b')
      return {
        state: { ...state, quitPrompt: false, quitting: 'background' },
        commands: [{ type: 'stop', runIds: live, background: true }],
      };
    if (key.escape || key.input === 'n' || key.input === 'q') return { state: { ...state, quitPrompt: false }, commands: [] };
    return none;
  }
  if (state.help) {
    return { state: { ...state, help: false }, commands: [] };
  }
  switch (key.input) {
    case 'q':
      if (live.length === 0) return { state, commands: [{ type: 'exit-now' }] };
      return { state: { ...state, quitPrompt: true }, commands: [] };
    case 'p': {
      const anyRunning = state.runs.some((r) => r.status === 'running');
      return { state, commands: live.length ? [{ type: anyRunning ? 'pause' : 'resume', runIds: live }] : [] };
    }
    case 'c':
      return { state, commands: live.length ? [{ type: 'checkpoint', runIds: live }] : [] };
    case 'l':
      return { state: { ...state, logLoss: !state.logLoss }, commands: [] };
    case 's':
      return { state: { ...state, smoothing: stepSmoothing(state.smoothing, -1) }, commands: [] };
    case 'S':
      return { state: { ...state, smoothing: stepSmoothing(state.smoothing, 1) }, commands: [] };
    case '?':
      return { state: { ...state, help: true }, commands: [] };
    case '1':
    case '2':
    case '3':
    case '4':
      return { state: { ...state, panel: (Number(key.input) - 1) as Panel }, commands: [] };
    default:
      if (key.tab) return { state: { ...state, panel: ((state.panel + 1) % PANELS.length) as Panel }, commands: [] };
      return none;
  }
}

function stepSmoothing(current: number, direction: 1 | -1): number {
  const i = SMOOTHING_LEVELS.findIndex((s) => s === current);
  const next = Math.min(SMOOTHING_LEVELS.length - 1, Math.max(0, (i < 0 ? 0 : i) + direction));
  return SMOOTHING_LEVELS[next]!; // next is clamped to 0..length-1 above
}
