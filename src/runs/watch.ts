import { resolve } from 'node:path';
import { EXIT } from '../errors.js';
import { runsExitCode } from './exit-code.js';
import { formatBackend, formatMetricsLine } from './headless-format.js';
import { formatAgo } from './list.js';
import { findRun, readRunInfo, type RunInfo, type RunStatus } from './run-dir.js';
import { RunTail } from './tail.js';

/**
 * `resnet-tutor watch <run>`: follows a run another process trains, printing the same plain lines
 * as headless `train` until the run ends. Ctrl-C stops watching only; the run goes on.
 */
export interface WatchOptions {
  readonly root: string;
  readonly run: string;
  /** Seconds between looks at the run folder. */
  readonly intervalSeconds: number;
  /** Lines already logged to show first (the newest). @default 10 */
  readonly backlog?: number;
  /** A run marked running with nothing new for this long gets a note. @default 10 minutes */
  readonly staleAfterMs?: number;
  /** Where lines go (tests pass a collector). */
  readonly out?: (line: string) => void;
}

/** Exit code of `watch` once the run is in this status; null while it can still change. */
export function exitCodeFor(status: RunStatus): number | null {
  // run.json does not say who stopped an interrupted run: a stop is taken as asked for (130).
  return runsExitCode([status], true);
}

export async function watchRun(opts: WatchOptions): Promise<number> {
  const out = opts.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const path = findRun(opts.root, opts.run);
  const first = readRunInfo(path);
  const staleAfter = opts.staleAfterMs ?? 10 * 60 * 1000;
  const tail = new RunTail(path, { intervalMs: Math.max(50, opts.intervalSeconds * 1000), backlog: opts.backlog ?? 10 });

  out(`watching ${first.id} in ${resolve(path)}`);
  if (first.backend) out(formatBackend(first.backend)[0]!);
  out(
    `status ${first.status} at step ${first.step}/${total(first) || '?'}, updated ${formatAgo(first.updated)}. Ctrl-C stops watching; the run keeps going.`,
  );

  let info: RunInfo = first;
  let shownStatus: string = first.status;
  let interrupted = false;
  let backlogNoted = false;
  let lastActivity = Date.now();
  let staleNoted = false;

  const onSigint = () => {
    interrupted = true;
    tail.stop();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
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
    return EXIT.ok; // stopped by Ctrl-C or SIGTERM: the run goes on
  } finally {
    if (interrupted) out(`stopped watching ${info.id}; the run is not affected.`);
    clearInterval(staleTimer);
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
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
