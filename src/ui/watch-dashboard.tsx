import { render } from 'ink';
import { EXIT } from '../util/errors.js';
import type { MetricsLine } from '../contracts/run-folder.js';
import { STALE_AFTER_MS } from '../runs/list.js';
import type { RunInfo } from '../runs/run-dir.js';
import { RunTail } from '../runs/tail.js';
import type { RunEvent, RunProgress } from '../contracts/engine-protocol.js';
import { Dashboard } from './dashboard/Dashboard.js';
import type { Command, DashboardEvent } from './dashboard/state.js';

/**
 * `watch` on a terminal: the training dashboard, read-only, fed from run folders that another
 * process writes (headless under nohup or Slurm) instead of from an engine worker. The folders'
 * changes are turned into the worker's own messages, so the screen is the one `train` shows; this
 * thread never loads tfjs.
 */
export interface WatchedRun {
  readonly id: string;
  readonly path: string;
  /** Legend name in an overlay ('' for a single run). */
  readonly label: string;
  readonly title: string;
  readonly batchSize: number;
}

type Final = Extract<RunEvent, { type: 'done' }>['status'];
const FINAL: readonly string[] = ['completed', 'diverged', 'interrupted', 'failed'];

/** Exit code once every run ended (the worst first), as `watch` in plain lines gives. */
export function combinedExitCode(statuses: readonly string[]): number {
  if (statuses.includes('failed')) return EXIT.userError;
  if (statuses.includes('diverged')) return EXIT.diverged;
  if (statuses.includes('interrupted')) return EXIT.interrupted;
  return EXIT.ok;
}

/**
 * Turns one run folder's changes into dashboard events. `poll()` reads the folder once (metrics
 * lines grouped into one message, so a long backlog is one update); `status` is the newest run.json
 * status seen.
 */
export class RunFeed {
  status: string | null = null;
  step = 0;
  private readonly tail: RunTail;
  private info: RunInfo | null = null;
  private lastActivity = Date.now();
  private staleNoted = false;

  constructor(
    private readonly run: WatchedRun,
    private readonly staleAfterMs = STALE_AFTER_MS,
  ) {
    this.tail = new RunTail(run.path);
  }

  poll(): DashboardEvent[] {
    const out: DashboardEvent[] = [];
    let lines: MetricsLine[] = [];
    const worker = (event: RunEvent) => out.push({ type: 'worker', event });
    const log = (message: string) => worker({ type: 'log', runId: null, level: 'info', message });
    const flush = () => {
      if (lines.length > 0) worker({ type: 'metrics', runId: this.run.id, lines });
      lines = [];
    };
    const who = this.run.label ? `${this.run.label}: ` : '';
    const events = this.tail.poll();
    if (events.length > 0) {
      this.lastActivity = Date.now();
      this.staleNoted = false;
    }
    for (const e of events) {
      switch (e.type) {
        case 'metrics':
          lines.push(e.line);
          this.step = Math.max(this.step, e.line.step);
          break;
        case 'truncated':
          flush();
          this.step = 0;
          log(`${who}metrics.jsonl was cut back to a checkpoint (the run was resumed); the charts redraw those steps.`);
          break;
        case 'unreadable':
          flush();
          log(`${who}skipped a damaged metrics line (${e.reason}).`);
          break;
        case 'run':
          flush();
          for (const ev of this.fromRunInfo(e.info)) worker(ev);
          break;
      }
    }
    flush();
    if (!this.staleNoted && this.status === 'running' && Date.now() - this.lastActivity > this.staleAfterMs) {
      this.staleNoted = true;
      log(
        `${who}no news for ${Math.round((Date.now() - this.lastActivity) / 60000)} minutes; if its process is gone, continue it with \`resnet-tutor resume ${this.run.id}\`.`,
      );
    }
    return out;
  }

  private fromRunInfo(info: RunInfo): RunEvent[] {
    const before = this.info;
    this.info = info;
    this.status = info.status;
    const runId = this.run.id;
    this.step = Math.max(this.step, info.step);
    const progress = progressOf(info, this.step);
    const out: RunEvent[] = [];
    if (FINAL.includes(info.status)) {
      if (info.backend && !before?.backend) out.push(started(runId, info, progress));
      out.push({
        type: 'done',
        runId,
        status: info.status as Final,
        progress,
        ...(info.divergence ? { divergence: info.divergence } : {}),
        ...(info.reason ? { reason: info.reason } : {}),
        lastCheckpoint: info.lastCheckpoint,
      });
      return out;
    }
    // Running: (again) started once the backend is known, else just its progress.
    if (info.backend && (!before?.backend || before.status !== 'running')) out.push(started(runId, info, progress));
    else out.push({ type: 'status', runId, status: 'running', progress });
    if (info.lastCheckpoint !== null && info.lastCheckpoint !== before?.lastCheckpoint) {
      out.push({ type: 'checkpointed', runId, step: info.lastCheckpoint, path: this.run.path });
    }
    return out;
  }
}

function progressOf(info: RunInfo, step: number): RunProgress {
  const totalSteps = info.totalSteps ?? info.config.steps ?? 0;
  const stepsPerEpoch = info.stepsPerEpoch ?? 0;
  return { step, totalSteps, stepsPerEpoch, epoch: stepsPerEpoch > 0 ? step / stepsPerEpoch : 0 };
}

function started(runId: string, info: RunInfo, progress: RunProgress): RunEvent {
  return {
    type: 'started',
    runId,
    backend: info.backend!,
    units: info.units ?? [],
    progress,
    resumedFrom: null,
    skipped: [],
    parameterCount: 0,
  };
}

/**
 * A `subscribe` for the Dashboard: polls every feed each `intervalMs` until unsubscribed. A poll
 * that throws (a run.json or metrics line of a newer format: the tail cannot go on) stops polling
 * and goes to `onError`; thrown from the timer it would end the process as an unexpected error.
 */
export function subscribeFeeds(feeds: readonly RunFeed[], intervalMs: number, onError: (err: unknown) => void = rethrow) {
  return (dispatch: (e: DashboardEvent) => void) => {
    let timer: NodeJS.Timeout | null = null;
    let stopped = false;
    const tick = () => {
      try {
        for (const f of feeds) for (const e of f.poll()) dispatch(e);
      } catch (err) {
        stopped = true;
        onError(err);
        return;
      }
      if (!stopped) timer = setTimeout(tick, intervalMs);
    };
    tick();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  };
}

function rethrow(err: unknown): never {
  throw err;
}

/**
 * Shows the read-only dashboard until q, Ctrl-C or a terminal signal. Returns the runs' combined
 * exit code when they have all ended, else 0 (watching stopped; the runs go on).
 */
export async function showWatchDashboard(
  runs: readonly WatchedRun[],
  /** startedAt: what the elapsed time counts from (the runs' creation, from run.json). */
  opts: { color: boolean; unicode: boolean; intervalMs: number; startedAt?: number },
): Promise<number> {
  const feeds = runs.map((r) => new RunFeed(r));
  let resolveExit: () => void = () => {};
  const exited = new Promise<void>((r) => (resolveExit = r));
  const onCommand = (c: Command) => {
    if (c.type === 'exit-now') resolveExit();
  };
  // Why watching cannot go on (a newer format appeared mid-watch): the screen closes and the error
  // reaches the command's one-paragraph message and exit code, as it does before the screen opens.
  const failure: { error?: unknown } = {};
  const onError = (error: unknown) => {
    failure.error = error;
    resolveExit();
  };
  const signals = ['SIGTERM', 'SIGHUP', 'SIGINT'] as const;
  const onSignal = () => resolveExit();
  for (const s of signals) process.on(s, onSignal);
  const instance = render(
    <Dashboard
      runs={runs.map((r) => ({ id: r.id, label: r.label, title: r.title, batchSize: r.batchSize }))}
      subscribe={subscribeFeeds(feeds, opts.intervalMs, onError)}
      onCommand={onCommand}
      color={opts.color}
      unicode={opts.unicode}
      readOnly
      {...(opts.startedAt !== undefined ? { startedAt: opts.startedAt } : {})}
    />,
    // As in train's dashboard: whole frames, at most 10 a second (see run-dashboard.tsx).
    { exitOnCtrlC: false, patchConsole: true, maxFps: 10, incrementalRendering: false },
  );
  try {
    await exited;
    instance.unmount();
    if ('error' in failure) throw failure.error;
    for (const [i, r] of runs.entries()) process.stdout.write(`${r.id}: ${feeds[i]!.status ?? 'unknown'} at step ${feeds[i]!.step}\n`);
    const statuses = feeds.map((f) => f.status ?? '');
    if (statuses.every((s) => FINAL.includes(s))) return combinedExitCode(statuses);
    process.stdout.write(`stopped watching; ${runs.length > 1 ? 'the runs are' : 'the run is'} not affected.\n`);
    return EXIT.ok;
  } finally {
    for (const s of signals) process.off(s, onSignal);
  }
}
