import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { render } from 'ink';
import { EXIT } from '../util/errors.js';
import { runsExitCode } from '../runs/exit-code.js';
import type { EngineHost } from '../worker/engine-host.js';
import type { RunEvent } from '../contracts/engine-protocol.js';
import { Dashboard } from './dashboard/Dashboard.js';
import type { Command, DashboardEvent, RunView } from './dashboard/state.js';
import { startSystemSampler } from './system-sampler.js';

export interface DashboardRun extends Pick<RunView, 'id' | 'label' | 'title' | 'batchSize'> {
  readonly path: string;
}

/**
 * Shows the live dashboard for runs already started on `host`, until the user quits or every run
 * has ended and the user pressed q. Returns the exit code of the command-line contract.
 */
export async function showDashboard(
  host: EngineHost,
  runs: readonly DashboardRun[],
  opts: { color: boolean; unicode: boolean },
): Promise<number> {
  const done = new Map<string, Extract<RunEvent, { type: 'done' }>>();
  let background = false;
  let stopRequested = false;
  let resolveExit: (code: number) => void = () => {};
  const exited = new Promise<number>((r) => (resolveExit = r));

  const finish = (code: number) => {
    instance.unmount();
    resolveExit(code);
  };

  const subscribe = (dispatch: (e: DashboardEvent) => void) => {
    const offHost = host.on((event) => {
      if (event.type === 'done') {
        done.set(event.runId, event);
        if (done.size === runs.length && (stopRequested || background)) {
          // Let the final state render once before leaving.
          setTimeout(() => finish(exitCode()), 150);
        }
      }
      dispatch({ type: 'worker', event });
    });
    const stopSampler = startSystemSampler((reading) => dispatch({ type: 'system', reading }));
    return () => {
      offHost();
      stopSampler();
    };
  };

  const exitCode = (): number => {
    if (background) return EXIT.ok;
    const statuses = [...done.values()].map((d) => d.status);
    return runsExitCode(statuses, stopRequested) ?? EXIT.ok;
  };

  const onCommand = (c: Command) => {
    switch (c.type) {
      case 'pause':
      case 'resume':
      case 'checkpoint':
        for (const runId of c.runIds) host.send({ type: c.type, runId });
        break;
      case 'stop':
        stopRequested = true;
        background = c.background;
        for (const runId of c.runIds) host.send({ type: 'stop', runId, checkpoint: true });
        if (done.size === runs.length) finish(exitCode());
        break;
      case 'exit-now':
        if (stopRequested && done.size < runs.length) {
          // Second Ctrl-C: leave now; the newest complete checkpoint stays usable.
          finish(EXIT.interrupted);
        } else {
          finish(exitCode());
        }
        break;
    }
  };

  // Terminal signals (SSH closed, scheduler) stop with a checkpoint, like a headless run.
  const onSignal = () => onCommand({ type: 'stop', runIds: runs.filter((r) => !done.has(r.id)).map((r) => r.id), background: false });
  const signals = ['SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGINT'] as const;
  for (const s of signals) process.on(s, onSignal);

  const instance = render(
    <Dashboard runs={runs} subscribe={subscribe} onCommand={onCommand} color={opts.color} unicode={opts.unicode} />,
    // Incremental rendering (Ink 6.8) left stale lines of earlier frames in tmux at 80x24 (header and
    // "(no data yet)" rows survived later frames), so whole frames are drawn, capped at 10 per second.
    { exitOnCtrlC: false, patchConsole: true, maxFps: 10, incrementalRendering: false },
  );
  try {
    const code = await exited;
    for (const r of runs) {
      const d = done.get(r.id);
      process.stdout.write(
        `${r.id}: ${d ? d.status : 'stopped'} at step ${d?.progress.step ?? '?'}${d?.reason && d.status !== 'completed' ? ` (${d.reason})` : ''}\n`,
      );
    }
    if (background) {
      for (const r of runs) continueInBackground(r);
    } else if (code === EXIT.interrupted) {
      for (const r of runs) process.stdout.write(`continue with \`resnet-tutor resume ${r.id}\`\n`);
    }
    return code;
  } finally {
    for (const s of signals) process.off(s, onSignal);
  }
}

/** Starts `resnet-tutor resume <run> --headless` detached, logging to the run folder. */
function continueInBackground(run: DashboardRun): void {
  const cli = fileURLToPath(new URL('../cli.js', import.meta.url));
  const log = join(run.path, 'train.log');
  const fd = openSync(log, 'a');
  const child = spawn(process.execPath, [cli, 'resume', run.path, '--headless'], { detached: true, stdio: ['ignore', fd, fd] });
  child.unref();
  process.stdout.write(
    `${run.id}: training continues in the background (pid ${child.pid}), log ${log}\n  follow it with \`resnet-tutor watch ${run.id}\`; stop it with \`kill ${child.pid}\` (it checkpoints first)\n`,
  );
}
