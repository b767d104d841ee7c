/**
 * The engine worker's first job: hosting every training run of the process and interleaving their
 * steps (one backend in one thread: see engine-worker.ts). Between steps it yields to the event loop,
 * so pause, stop and checkpoint commands are answered within one step.
 */
import { UserError } from '../util/errors.js';
import { workerFaultAt } from '../util/faults.js';
import { loadDataset } from '../data/index.js';
import { Trainer } from '../engine/trainer.js';
import type { BackendSummary, MetricsLine } from '../contracts/run-folder.js';
import { loadNewestCheckpoint, saveCheckpoint } from '../runs/checkpoint.js';
import { appendMetrics, trimMetrics, updateRunInfo } from '../runs/run-dir.js';
import { hasConvolutions } from '../contracts/train-config.js';
import type { RunCommand, RunEvent, RunProgress } from '../contracts/engine-protocol.js';
import type { WorkerContext } from './worker-context.js';

/** Protocol events are batched to at most this many per second per run, whatever the step rate. */
const FLUSH_INTERVAL_MS = 100;

interface HostedRun {
  readonly id: string;
  readonly path: string;
  readonly trainer: Trainer;
  paused: boolean;
  checkpointRequested: boolean;
  stop: { checkpoint: boolean } | null;
  pending: MetricsLine[];
  bestValAccuracy: number | null;
  lastValLoss: number | null;
  lastCheckpoint: number | null;
}

/** Hosts runs for the worker: `command` takes each run command the main thread sends. */
export function hostRuns(ctx: WorkerContext): { command(msg: RunCommand): void } {
  const post = ctx.post;
  const runs = new Map<string, HostedRun>();
  /** Runs whose start is under way (backend, data set, checkpoint loading): not yet in `runs`. */
  const starting = new Set<string>();
  /**
   * Stops that came while their run was starting (a signal during startup): applied as soon as the
   * run is registered, so a scheduler's warning is never acknowledged and then lost.
   */
  const stopsBeforeStart = new Map<string, { checkpoint: boolean }>();
  let looping = false;

  setInterval(flushAll, FLUSH_INTERVAL_MS).unref();

  function command(msg: RunCommand): void {
    if (msg.type === 'start') {
      starting.add(msg.runId);
      void startRun(msg)
        .catch((err: unknown) => failStart(msg.runId, msg.runPath, err))
        .finally(() => {
          starting.delete(msg.runId);
          stopsBeforeStart.delete(msg.runId);
        });
      return;
    }
    const run = runs.get(msg.runId);
    if (!run) {
      if (msg.type === 'stop' && starting.has(msg.runId)) stopsBeforeStart.set(msg.runId, { checkpoint: msg.checkpoint });
      return;
    }
    switch (msg.type) {
      case 'pause':
      case 'resume':
        run.paused = msg.type === 'pause';
        if (!run.paused) run.trainer.resetClock();
        post({ type: 'status', runId: run.id, status: run.paused ? 'paused' : 'running', progress: progressOf(run.trainer) });
        return;
      case 'checkpoint':
        run.checkpointRequested = true;
        return;
      case 'stop':
        run.stop = { checkpoint: msg.checkpoint };
        return;
    }
  }

  async function startRun(msg: Extract<RunCommand, { type: 'start' }>): Promise<void> {
    const choice = await ctx.backend(msg.backend, hasConvolutions(msg.config.net));
    for (const w of choice.warnings) post({ type: 'log', runId: msg.runId, level: 'warn', message: w });
    const config = msg.config;
    let lastProgress = 0;
    const data = await loadDataset(config.dataset, {
      seed: config.seed,
      ...(config.trainLimit ? { trainLimit: config.trainLimit } : {}),
      ...(config.valLimit ? { valLimit: config.valLimit } : {}),
      onProgress: (done, total, label) => {
        const now = Date.now();
        if (now - lastProgress < 2000 && done < total) return;
        lastProgress = now;
        const pct = total > 0 ? ` ${((100 * done) / total).toFixed(0)}%` : '';
        post({ type: 'log', runId: msg.runId, level: 'info', message: `${label}${pct}` });
      },
    });
    const trainer = new Trainer(config, data);
    let resumedFrom: number | null = null;
    let skipped: readonly string[] = [];
    try {
      if (msg.resume) {
        const loaded = loadNewestCheckpoint(msg.runPath, config);
        if (loaded) {
          trainer.restore(loaded.state);
          resumedFrom = loaded.manifest.step;
          skipped = loaded.skipped;
        }
        const damage = trimMetrics(msg.runPath, resumedFrom ?? 0);
        if (damage) post({ type: 'log', runId: msg.runId, level: 'warn', message: `warning: ${damage}` });
      }
    } catch (err) {
      trainer.dispose();
      throw err;
    }
    const summary: BackendSummary = {
      name: choice.name,
      device: choice.device,
      usingGpu: choice.usingGpu,
      attempts: choice.attempts,
      warnings: choice.warnings,
    };
    const info = updateRunInfo(msg.runPath, {
      status: 'running',
      backend: summary,
      versions: { ...choice.versions, node: process.versions.node },
      units: trainer.model.unitNames,
      totalSteps: trainer.totalSteps,
      stepsPerEpoch: trainer.stepsPerEpoch,
      step: trainer.step,
      reason: undefined,
    });
    const run: HostedRun = {
      id: msg.runId,
      path: msg.runPath,
      trainer,
      paused: false,
      checkpointRequested: false,
      stop: null,
      pending: [],
      bestValAccuracy: info.bestValAccuracy,
      lastValLoss: info.lastValLoss,
      lastCheckpoint: resumedFrom ?? info.lastCheckpoint,
    };
    runs.set(run.id, run);
    run.stop = stopsBeforeStart.get(run.id) ?? null;
    post({
      type: 'started',
      runId: run.id,
      backend: summary,
      units: trainer.model.unitNames,
      progress: progressOf(trainer),
      resumedFrom,
      skipped,
      parameterCount: trainer.model.params.reduce((n, p) => n + p.variable.size, 0),
    });
    trainer.resetClock();
    // A failure outside one run's step is a bug in the worker: rethrown, it ends the worker with its
    // trace, and the host marks every run it held failed (their checkpoints stay intact).
    if (!looping)
      loop().catch((err: unknown) =>
        process.nextTick(() => {
          throw err;
        }),
      );
  }

  function failStart(runId: string, runPath: string, err: unknown): void {
    const user = err instanceof UserError;
    const message = err instanceof Error ? err.message : String(err);
    post({ type: 'error', runId, message, user });
    try {
      updateRunInfo(runPath, { status: 'failed', reason: message });
    } catch {
      // The run folder itself may be the problem; the error above already says why.
    }
    post({ type: 'done', runId, status: 'failed', progress: { step: 0, totalSteps: 0, stepsPerEpoch: 1, epoch: 0 }, reason: message });
  }

  async function loop(): Promise<void> {
    looping = true;
    try {
      while (runs.size > 0) {
        let stepped = false;
        for (const run of [...runs.values()]) {
          if (run.stop) {
            await finishStopped(run);
            continue;
          }
          if (run.checkpointRequested) {
            run.checkpointRequested = false;
            await checkpoint(run);
          }
          if (run.paused) continue;
          await stepRun(run);
          stepped = true;
          // Let messages (pause, stop) in between steps.
          await new Promise((resolve) => setImmediate(resolve));
        }
        if (!stepped) await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      looping = false;
    }
  }

  // Reads are asynchronous on every backend (webgpu has no synchronous read in Node; on the others an
  // awaited read costs a microtask).
  async function stepRun(run: HostedRun): Promise<void> {
    const t = run.trainer;
    let outcome;
    try {
      outcome = await t.trainStepAsync();
    } catch (err) {
      fail(run, err);
      return;
    }
    if (outcome.diverged) {
      const d = outcome.diverged;
      const reason = `training diverged at step ${d.step}: the ${d.what === 'loss' ? 'loss' : `${d.what} of ${d.where}`} became NaN or infinite`;
      flush(run);
      safeUpdate(run.path, { status: 'diverged', step: t.step, divergence: d, reason });
      end(run, { type: 'done', runId: run.id, status: 'diverged', progress: progressOf(t), divergence: d, reason });
      return;
    }
    const fault = workerFaultAt(t.step);
    if (fault === 'crash')
      setImmediate(() => {
        throw new Error(`injected crash after step ${t.step}`);
      });
    if (fault === 'exit') process.exit(3);
    let line = outcome.line;
    const finished = t.done;
    if (line && (outcome.epochEnded || finished)) {
      const val = await t.validateAsync();
      line = { ...line, ...val };
      if (val.valAccuracy !== undefined) run.bestValAccuracy = Math.max(run.bestValAccuracy ?? 0, val.valAccuracy);
      run.lastValLoss = val.valLoss;
    }
    if (line) {
      try {
        const warning = appendMetrics(run.path, [line]);
        if (warning) post({ type: 'log', runId: run.id, level: 'warn', message: `warning: ${warning}` });
      } catch (err) {
        // A torn line from a partial write is trimmed on resume; say what happened and stop stepping.
        pauseForDisk(run, `append metrics at step ${t.step}`, err as NodeJS.ErrnoException);
        return;
      }
      run.pending.push(line);
    }
    const every = t.config.checkpointEvery;
    if (finished || outcome.epochEnded || (every > 0 && t.step % every === 0)) {
      if (!(await checkpoint(run))) return;
    }
    if (finished) {
      flush(run);
      safeUpdate(run.path, { status: 'completed', step: t.step, ...valFields(run) });
      end(run, { type: 'done', runId: run.id, status: 'completed', progress: progressOf(t) });
    }
  }

  /** Writes a checkpoint; on failure (disk full, read-only) pauses the run and says why. */
  async function checkpoint(run: HostedRun): Promise<boolean> {
    const t = run.trainer;
    if (run.lastCheckpoint === t.step && t.step > 0) return true;
    try {
      const state = await t.snapshotAsync();
      const path = saveCheckpoint(run.path, state, t.config, t.step / t.stepsPerEpoch, t.config.keep);
      run.lastCheckpoint = t.step;
      safeUpdate(run.path, { step: t.step, lastCheckpoint: t.step, ...valFields(run) });
      post({ type: 'checkpointed', runId: run.id, step: t.step, path });
      t.resetClock();
      return true;
    } catch (err) {
      pauseForDisk(run, `write a checkpoint at step ${t.step}`, err as NodeJS.ErrnoException);
      return false;
    }
  }

  /** Disk full or read-only: pause the run and explain; the previous checkpoint is untouched. */
  function pauseForDisk(run: HostedRun, what: string, e: NodeJS.ErrnoException): void {
    const why =
      e.code === 'ENOSPC'
        ? 'the disk is full'
        : e.code === 'EROFS'
          ? 'the file system is read-only'
          : e.code === 'EACCES' || e.code === 'EPERM'
            ? 'the run directory is not writable'
            : e.message;
    run.paused = true;
    post({
      type: 'error',
      runId: run.id,
      user: true,
      message: `Could not ${what} in ${run.path}: ${why} (${e.code ?? 'error'}). Training is paused; the previous checkpoint${run.lastCheckpoint !== null ? ` (step ${run.lastCheckpoint})` : ''} is intact. Free space or fix permissions, then resume with \`resnet-tutor resume ${run.id}\`.`,
    });
    post({ type: 'status', runId: run.id, status: 'paused', progress: progressOf(run.trainer) });
  }

  async function finishStopped(run: HostedRun): Promise<void> {
    const t = run.trainer;
    if (run.stop?.checkpoint && t.step > 0) await checkpoint(run);
    flush(run);
    const reason = 'stopped by the user or a signal';
    safeUpdate(run.path, { status: 'interrupted', step: t.step, reason, ...valFields(run) });
    end(run, {
      type: 'done',
      runId: run.id,
      status: 'interrupted',
      progress: progressOf(t),
      reason,
      lastCheckpoint: run.lastCheckpoint,
    });
  }

  function fail(run: HostedRun, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    flush(run);
    post({ type: 'error', runId: run.id, message, user: err instanceof UserError });
    safeUpdate(run.path, { status: 'failed', reason: message });
    end(run, { type: 'done', runId: run.id, status: 'failed', progress: progressOf(run.trainer), reason: message });
  }

  function end(run: HostedRun, done: Extract<RunEvent, { type: 'done' }>): void {
    runs.delete(run.id);
    run.trainer.dispose();
    post(done);
  }

  function valFields(run: HostedRun) {
    return { bestValAccuracy: run.bestValAccuracy, lastValLoss: run.lastValLoss };
  }

  function flush(run: HostedRun): void {
    if (run.pending.length === 0) return;
    post({ type: 'metrics', runId: run.id, lines: run.pending });
    run.pending = [];
  }

  function flushAll(): void {
    for (const run of runs.values()) flush(run);
  }

  function progressOf(t: Trainer): RunProgress {
    return { step: t.step, totalSteps: t.totalSteps, stepsPerEpoch: t.stepsPerEpoch, epoch: t.step / t.stepsPerEpoch };
  }

  /**
   * run.json updates while a run is going: a failure (disk full) must not kill the worker; it is
   * reported, and run.json keeps its previous complete content (writes are atomic).
   */
  function safeUpdate(path: string, changes: Parameters<typeof updateRunInfo>[1]): void {
    try {
      updateRunInfo(path, changes);
    } catch (err) {
      post({ type: 'log', runId: null, level: 'warn', message: `could not update ${path}/run.json: ${(err as Error).message}` });
    }
  }

  return { command };
}
