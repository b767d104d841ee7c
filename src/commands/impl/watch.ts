import { resolve } from 'node:path';
import { EXIT } from '../../util/errors.js';
import { describeModel } from '../../contracts/train-config.js';
import { detectTerminal } from '../../ui/terminal.js';
import { runsExitCode } from '../../runs/exit-code.js';
import { formatBackend, formatMetricsLine } from '../../runs/headless-format.js';
import { formatAgo } from '../../runs/list.js';
import { readRunInfo, type RunInfo } from '../../runs/run-dir.js';
import type { RunStatus } from '../../contracts/run-folder.js';
import { newestRunning, overlayLabels, selectRuns } from '../../runs/select.js';
import { RunTail } from '../../runs/tail.js';

/**
 * `resnet-tutor watch [run[,run...]]`: follows runs another process trains. On a terminal it is the
 * live dashboard, read-only (q leaves); piped or with --headless it prints the same plain lines as
 * headless `train` until the runs end. Leaving never touches the runs.
 */
export interface WatchOptions {
  readonly root: string;
  /** A run, or a comma list of runs to overlay; undefined: the newest running run. */
  readonly run?: string;
  /** Seconds between looks at the run folder. */
  readonly intervalSeconds: number;
  /** Lines already logged to show first (the newest). @default 10 */
  readonly backlog?: number;
  /** A run marked running with nothing new for this long gets a note. @default 10 minutes */
  readonly staleAfterMs?: number;
  /** Where lines go (tests pass a collector). */
  readonly out?: (line: string) => void;
  /** Plain lines even on a terminal. */
  readonly headless?: boolean;
  readonly noColor?: boolean;
}

/** Exit code of `watch` once the run is in this status; null while it can still change. */
export function exitCodeFor(status: RunStatus): number | null {
  // run.json does not say who stopped an interrupted run: a stop is taken as asked for (130).
  return runsExitCode([status], true);
}

export async function watchRun(opts: WatchOptions): Promise<number> {
  const out = opts.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const chosen = opts.run === undefined;
  const paths = chosen ? [newestRunning(opts.root)] : selectRuns(opts.root, opts.run!, 'watch');
  const infos = paths.map((p) => readRunInfo(p));
  const labels = paths.length > 1 ? overlayLabels(infos.map((i) => i.id)) : [''];
  const caps = detectTerminal(process.stdout, process.stdin, process.env, opts.noColor);
  if (caps.interactive && !opts.headless && !opts.out) {
    const { showWatchDashboard } = await import('../../ui/watch-dashboard.js');
    return showWatchDashboard(
      infos.map((info, i) => ({
        id: info.id,
        path: paths[i]!,
        label: labels[i]!,
        title: `${describeModel(info.config)} on ${info.config.dataset}`,
        batchSize: info.config.batchSize,
      })),
      {
        color: caps.color,
        unicode: caps.unicode,
        intervalMs: Math.max(50, opts.intervalSeconds * 1000),
        ...createdAt(infos),
      },
    );
  }
  if (chosen) out(`following the newest running run, ${infos[0]!.id}`);

  const tails: RunTail[] = [];
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
    for (const t of tails) t.stop();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    const codes = await Promise.all(
      paths.map((path, i) => {
        const tail = new RunTail(path, { intervalMs: Math.max(50, opts.intervalSeconds * 1000), backlog: opts.backlog ?? 10 });
        tails.push(tail);
        const prefix = paths.length > 1 ? `[${labels[i]}] ` : '';
        return followPlain(
          tail,
          infos[i]!,
          (line) => out(`${prefix}${line}`),
          opts,
          () => interrupted,
        );
      }),
    );
    // Stopped by Ctrl-C or SIGTERM: the runs go on, exit 0.
    return interrupted ? EXIT.ok : worst(codes);
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    for (const t of tails) t.stop();
  }
}

/** The dashboard's clock counts from the earliest run's creation (run.json), not from when watching began. */
function createdAt(infos: readonly RunInfo[]): { startedAt?: number } {
  const times = infos.map((i) => Date.parse(i.created)).filter(Number.isFinite);
  return times.length > 0 ? { startedAt: Math.min(...times) } : {};
}

function worst(codes: readonly number[]): number {
  for (const c of [EXIT.userError, EXIT.diverged, EXIT.interrupted]) if (codes.includes(c)) return c;
  return EXIT.ok;
}

const KNOWN_STATUSES: readonly string[] = ['running', 'interrupted', 'completed', 'failed', 'diverged'];

/** One run's plain lines until it ends (its exit code) or the tail is stopped (0). */
async function followPlain(
  tail: RunTail,
  first: RunInfo,
  out: (line: string) => void,
  opts: WatchOptions,
  interrupted: () => boolean,
): Promise<number> {
  const path = tail.runPath;
  const staleAfter = opts.staleAfterMs ?? 10 * 60 * 1000;
  out(`watching ${first.id} in ${resolve(path)}`);
  if (first.backend) out(formatBackend(first.backend)[0]!);
  out(
    `status ${first.status} at step ${first.step}/${total(first) || '?'}, updated ${formatAgo(first.updated)}. Ctrl-C stops watching; the run keeps going.`,
  );

  let info: RunInfo = first;
  let shownStatus: string = first.status;
  let backlogNoted = false;
  let lastActivity = Date.now();
  let staleNoted = false;
  const staleTimer = setInterval(
    () => {
      if (!staleNoted && info.status === 'running' && Date.now() - lastActivity > staleAfter) {
        staleNoted = true;
        out(
          `no news from ${info.id} for ${Math.round((Date.now() - lastActivity) / 60000)} minutes (last update ${formatAgo(info.updated)}). If its process is gone, run.json still says running; continue it with \`resnet-tutor resume ${info.id}\`.`,
        );
      }
    },
    Math.min(30_000, Math.max(1000, staleAfter / 4)),
  );

  try {
    for await (const event of tail) {
      lastActivity = Date.now();
      staleNoted = false;
      switch (event.type) {
        case 'metrics':
          if (!backlogNoted && tail.skippedBacklog > 0) {
            out(`(${tail.skippedBacklog} earlier lines not shown; all of them: \`resnet-tutor report ${info.id} --csv\`)`);
          }
          backlogNoted = true;
          out(formatMetricsLine(event.line, total(info) || event.line.step, info.config.batchSize));
          break;
        case 'truncated':
          out('metrics.jsonl was cut back to a checkpoint (the run was resumed): the next lines repeat those steps.');
          break;
        case 'unreadable':
          out(`skipped a damaged metrics line (${event.reason}): ${event.text.slice(0, 60)}`);
          break;
        case 'run': {
          if (!KNOWN_STATUSES.includes(String((event.info as { status?: unknown } | null)?.status))) {
            // Edited or damaged since: nothing would ever end the wait, so say so and stop.
            out(
              `${path}/run.json now has no known status (${JSON.stringify((event.info as { status?: unknown } | null)?.status)}); stopped watching. Check the run with \`resnet-tutor runs\`.`,
            );
            return EXIT.userError;
          }
          const before = info;
          info = event.info;
          if (!before.backend && info.backend) out(formatBackend(info.backend)[0]!);
          if (info.status !== shownStatus) {
            out(`status ${shownStatus} -> ${info.status}`);
            shownStatus = info.status;
          }
          const code = exitCodeFor(info.status);
          if (code !== null) {
            if (tail.pendingText !== '') out('(the last metrics line is incomplete: the run stopped while writing it)');
            out(ending(info, event.previous === null));
            return code;
          }
          break;
        }
        default:
          break;
      }
    }
    return EXIT.ok;
  } finally {
    if (interrupted()) out(`stopped watching ${info.id}; the run is not affected.`);
    clearInterval(staleTimer);
    tail.stop();
  }
}

function total(info: RunInfo): number {
  return info.totalSteps ?? info.config.steps ?? 0;
}

function ending(info: RunInfo, already: boolean): string {
  const at = `step ${info.step}/${total(info) || '?'}`;
  const was = already ? 'was already ' : '';
  switch (info.status) {
    case 'completed':
      return `${info.id} ${was}completed at ${at}. Summary: \`resnet-tutor report ${info.id}\``;
    case 'diverged':
      return `${info.id} ${was}diverged: ${info.reason ?? 'NaN or infinite values'}. Summary: \`resnet-tutor report ${info.id}\``;
    case 'interrupted':
      return `${info.id} ${was}interrupted at ${at}. Continue it with \`resnet-tutor resume ${info.id}\``;
    case 'running':
    case 'failed':
      return `${info.id} ${was}failed: ${info.reason ?? 'no reason recorded'}`;
  }
}
