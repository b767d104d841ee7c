import { join, resolve } from 'node:path';
import { packageVersion } from '../../util/version.js';
import { UserError, EXIT } from '../../util/errors.js';
import { checkNetForData, describeModel, resolveConfig, type TrainConfig } from '../../contracts/train-config.js';
import { DATASET_INFO, DATASET_NAMES, isDatasetName } from '../../data/index.js';
import { EngineHost } from '../../worker/engine-host.js';
import type { RunEvent } from '../../contracts/engine-protocol.js';
import { detectTerminal } from '../../ui/terminal.js';
import { formatBackend, formatMetricsLine } from '../../runs/headless-format.js';
import { runsExitCode } from '../../runs/exit-code.js';
import { RUN_FORMAT_VERSION, createRunDir, findRun, findRunById, readRunInfo, removeDeadTemps, updateRunInfo } from '../../runs/run-dir.js';
import { locateNative } from '../../platform/native-home.js';
import { applyMemoryVerdict, judgeMemory, memoryFacts } from './memory-check.js';
import { lockRun, type RunLock } from '../../runs/lock.js';

/**
 * Starting and resuming runs from the command line (headless). Flags are checked before anything is
 * written; the run then trains in the engine worker while this thread prints and handles signals.
 */
export interface LaunchOptions {
  readonly raw: Record<string, unknown>;
  readonly backend: string;
  readonly runRoot: string;
  readonly json: boolean;
  /** Where lines go (tests pass a collector). */
  readonly out?: (line: string) => void;
}

export function checkedConfig(raw: Record<string, unknown>, source = 'flag'): TrainConfig {
  const config = resolveConfig(raw, source);
  if (!isDatasetName(config.dataset)) {
    throw new UserError(
      `${source === 'flag' ? '--dataset' : `\`dataset\` in ${source}`} must be one of ${DATASET_NAMES.join(', ')}; got "${config.dataset}".`,
    );
  }
  checkNetForData(config, DATASET_INFO[config.dataset]);
  return config;
}

export async function launchTraining(
  opts: LaunchOptions & { headless?: boolean; noColor?: boolean; name?: string; resumeIfExists?: boolean },
): Promise<number> {
  if (opts.resumeIfExists && opts.name === undefined) {
    throw new UserError(
      '--resume-if-exists needs --name: it resumes the run of that name when it exists and starts it otherwise, e.g. `resnet-tutor train --name resnet56 --resume-if-exists` (a requeued batch job).',
    );
  }
  const config = checkedConfig(opts.raw);
  checkBackendInstalled(opts.backend);
  applyMemoryVerdict(judgeMemory(config, opts.backend, await memoryFacts(opts.backend)));
  if (opts.resumeIfExists) {
    const existing = findRunById(opts.runRoot, opts.name!);
    if (existing) return continueExisting(existing, config, opts);
  }
  const { id, path } = createRunDir(opts.runRoot, config, { resnetTutor: packageVersion() }, opts.name);
  return superviseRuns([{ id, path, config, label: '' }], { ...opts, resume: false });
}

/**
 * `train --name X --resume-if-exists` found run X: a requeued job continues it. A run that already
 * ended for good is not trained again: completed exits 0 and diverged 2 (the codes `watch` gives),
 * so a job script that requeues on 130 stops requeueing. Flags that would make a different run are
 * refused rather than silently ignored.
 */
async function continueExisting(
  path: string,
  config: TrainConfig,
  opts: LaunchOptions & { headless?: boolean; noColor?: boolean },
): Promise<number> {
  const info = readRunInfo(path);
  const print = opts.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  // With --json every line is JSON, these too.
  const out = (line: string) => print(opts.json ? jsonLine({ event: 'log', message: line }) : line);
  // Compared after both went through the same checks, so a run.json from an older version (without
  // a field added since, which resume fills with its default) is not "other settings".
  const stored = checkedConfig(info.config as unknown as Record<string, unknown>, join(path, 'run.json')) as unknown as Record<
    string,
    unknown
  >;
  const asked = config as unknown as Record<string, unknown>;
  const differ = Object.keys(asked).filter((k) => JSON.stringify(stored[k] ?? null) !== JSON.stringify(asked[k] ?? null));
  if (differ.length > 0) {
    throw new UserError(
      `Run ${info.id} (${path}) exists with other settings than these flags give: ${differ
        .slice(0, 6)
        .map((k) => `${k} ${JSON.stringify(stored[k] ?? null)} there, ${JSON.stringify(asked[k] ?? null)} here`)
        .join('; ')}. Give the flags it was started with, resume it with \`resnet-tutor resume ${info.id}\`, or choose another --name.`,
    );
  }
  if (info.status === 'completed') {
    out(`${info.id} already completed at step ${info.step}; nothing to train. Summary: \`resnet-tutor report ${info.id}\``);
    return EXIT.ok;
  }
  if (info.status === 'diverged') {
    out(
      `${info.id} already diverged (${info.reason ?? 'NaN or infinite values'}); training it again would diverge again. Summary: \`resnet-tutor report ${info.id}\``,
    );
    return EXIT.diverged;
  }
  out(`${info.id} exists (${info.status} at step ${info.step}): resuming it`);
  return resumeTraining({ ...opts, run: path });
}

/**
 * `--backend node` / `node-gpu` checked on this thread before any run folder exists, so a flag
 * error leaves nothing behind (the worker would find out only after the run was created). Only
 * whether the package is there: whether it loads is still the worker's to say.
 */
export function checkBackendInstalled(backend: string | undefined): void {
  if (backend !== 'node' && backend !== 'node-gpu') return;
  const pkg = backend === 'node' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-node-gpu';
  const fix = backend === 'node' ? 'run `resnet-tutor gpu setup --cpu`' : 'run `resnet-tutor gpu setup`';
  const reason =
    nodeMajorVersion() >= 23
      ? `tfjs-node 4.22 does not work on Node ${process.versions.node} (Node 23 removed util.isNullOrUndefined, which it calls on every op)`
      : locateNative(pkg) === null
        ? `${pkg} is not installed`
        : null;
  if (reason === null) return;
  throw new UserError(
    `--backend ${backend} cannot be used here: ${reason}. To fix it, ${nodeMajorVersion() >= 23 ? 'use Node 20 or 22, or `--backend webgpu`' : fix}. Or use \`--backend auto\` to take the best backend that loads (\`resnet-tutor doctor\` shows them all). No run was created.`,
  );
}

function nodeMajorVersion(): number {
  return Number.parseInt(process.versions.node.split('.')[0] ?? '0', 10) || 0;
}

export async function resumeTraining(opts: {
  run: string;
  runRoot: string;
  backend: string | undefined;
  json: boolean;
  headless?: boolean;
  noColor?: boolean;
  out?: (line: string) => void;
}): Promise<number> {
  const path = findRun(opts.runRoot, opts.run);
  checkBackendInstalled(opts.backend);
  const info = readRunInfo(path);
  if (info.status === 'completed') {
    throw new UserError(
      `Run ${info.id} already completed at step ${info.step}. Look at it with \`resnet-tutor report ${info.id}\`, or start a longer run with \`resnet-tutor train\`.`,
    );
  }
  // run.json may have been edited or damaged: its config is checked like flags are.
  const config = checkedConfig(info.config as unknown as Record<string, unknown>, join(path, 'run.json'));
  removeDeadTemps(path, 'run.json.tmp-');
  const backend = opts.backend && opts.backend !== 'auto' ? opts.backend : (info.backend?.name ?? 'auto');
  return superviseRuns([{ id: info.id, path, config, label: '' }], { ...opts, backend, resume: true });
}

/** One run to supervise: its folder, config, and the label that tells it apart in a comparison. */
export interface SupervisedRun {
  readonly id: string;
  readonly path: string;
  readonly config: TrainConfig;
  readonly label: string;
}

export interface SuperviseOptions {
  readonly backend: string;
  readonly resume: boolean;
  readonly json: boolean;
  readonly headless?: boolean;
  readonly noColor?: boolean;
  readonly out?: (line: string) => void;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR1'] as const;

/**
 * Trains runs in one engine worker until they end: with the live dashboard on an interactive
 * terminal, otherwise printing plain (or JSON) lines. Returns the contract's exit code.
 */
export async function superviseRuns(runs: readonly SupervisedRun[], opts: SuperviseOptions): Promise<number> {
  // One writer per run: a second `resume` of the same run is refused before anything is touched.
  const locks: RunLock[] = [];
  try {
    for (const r of runs) locks.push(await lockRun(r.path, r.id));
  } catch (err) {
    for (const l of locks) l.release();
    throw err;
  }
  const host = new EngineHost();
  try {
    for (const r of runs) host.start(r.id, r.path, r.config, opts.backend, opts.resume);
    const caps = detectTerminal(process.stdout, process.stdin, process.env, opts.noColor);
    if (caps.interactive && !opts.headless && !opts.json && !opts.out) {
      const { showDashboard } = await import('../../ui/run-dashboard.js');
      return await showDashboard(
        host,
        runs.map((r) => ({
          id: r.id,
          path: r.path,
          label: r.label,
          title: `${describeModel(r.config)} on ${r.config.dataset}`,
          batchSize: r.config.batchSize,
        })),
        { color: caps.color, unicode: caps.unicode },
      );
    }
    return await printRuns(host, runs, opts);
  } finally {
    await host.close();
    for (const l of locks) l.release();
  }
}

/** The headless front end: plain lines (or JSON lines) and signal handling. */
async function printRuns(host: EngineHost, runs: readonly SupervisedRun[], opts: SuperviseOptions): Promise<number> {
  const out = opts.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const err = (line: string) => (opts.json ? out(jsonLine({ event: 'log', message: line })) : process.stderr.write(`${line}\n`));
  const byId = new Map(runs.map((r) => [r.id, r]));
  const totals = new Map<string, number>();
  const done = new Map<string, Extract<RunEvent, { type: 'done' }>>();
  /** The last error message of each run, so a failure is printed once. */
  const errored = new Map<string, string>();
  const prefix = (id: string) => (runs.length > 1 ? `[${byId.get(id)?.label ?? id}] ` : '');
  let stopping = false;
  const stopAll = (checkpoint: boolean) => {
    for (const r of runs) if (!done.has(r.id)) host.send({ type: 'stop', runId: r.id, checkpoint });
  };

  const onSignal = (signal: (typeof SIGNALS)[number]) => {
    if (stopping) {
      if (signal === 'SIGINT') {
        // Second Ctrl-C: leave now. The newest complete checkpoint stays usable.
        err(`second interrupt: exiting now; resume with ${runs.map((r) => `\`resnet-tutor resume ${r.id}\``).join(', ')}`);
        markLeftAtOnce(runs.filter((r) => !done.has(r.id)));
        process.exit(EXIT.interrupted);
      }
      return;
    }
    stopping = true;
    err(`${signal}: finishing the current step and writing a checkpoint (Ctrl-C again to exit at once)`);
    stopAll(true);
  };
  for (const s of SIGNALS) process.on(s, onSignal);

  try {
    await new Promise<void>((resolveAll) => {
      host.on((event) => {
        const runId = 'runId' in event ? event.runId : null;
        if (runId !== null && !byId.has(runId)) return;
        if (opts.json && event.type !== 'metrics') out(jsonLine({ event: event.type, ...withoutType(event) }));
        switch (event.type) {
          case 'started': {
            totals.set(event.runId, event.progress.totalSteps);
            if (!opts.json) {
              const r = byId.get(event.runId)!;
              const c = r.config;
              const p = prefix(r.id);
              out(`${p}run ${r.id} in ${resolve(r.path)}`);
              out(
                `${p}model ${describeModel(c)} (${event.parameterCount.toLocaleString('en-US')} parameters, ${event.units.length - 2} blocks) on ${c.dataset}, batch ${c.batchSize}, ${c.optimizer} lr ${c.lr}, ${event.progress.totalSteps} steps`,
              );
              for (const l of formatBackend(event.backend)) out(`${p}${l}`);
              if (event.resumedFrom !== null) out(`${p}resumed from the checkpoint at step ${event.resumedFrom}`);
              for (const s of event.skipped) out(`${p}  skipped damaged checkpoint ${s}`);
            }
            break;
          }
          case 'metrics': {
            const r = byId.get(event.runId)!;
            for (const line of event.lines) {
              out(
                opts.json
                  ? jsonLine(runs.length > 1 ? { runId: r.id, ...line } : { ...line })
                  : `${prefix(r.id)}${formatMetricsLine(line, totals.get(r.id) ?? 0, r.config.batchSize)}`,
              );
            }
            break;
          }
          case 'log':
            if (!opts.json) err(`${runId ? prefix(runId) : ''}${event.message}`);
            break;
          case 'error':
            if (runId) errored.set(runId, event.message);
            if (!opts.json) err(`resnet-tutor: ${runId ? prefix(runId) : ''}${event.user ? '' : 'error: '}${event.message}`);
            if (event.user && runId && !done.has(runId)) {
              // A checkpoint that cannot be written pauses the run; headless, nobody can fix it now.
              host.send({ type: 'stop', runId, checkpoint: false });
            }
            break;
          case 'done':
            done.set(event.runId, event);
            // A failure already printed as an error is not printed again.
            if (!opts.json && !(event.status === 'failed' && errored.has(event.runId) && errored.get(event.runId) === event.reason)) {
              out(`${prefix(event.runId)}${doneMessage(event.runId, event)}`);
            }
            if (done.size === runs.length) resolveAll();
            break;
          // Headless output shows only progress, messages and the outcome (--json printed all above).
          case 'status':
          case 'checkpointed':
            break;
        }
      });
    });
    const statuses = [...done.values()].map((d) => d.status);
    return runsExitCode(statuses, stopping) ?? EXIT.ok;
  } finally {
    for (const s of SIGNALS) process.off(s, onSignal);
  }
}

function doneMessage(id: string, done: Extract<RunEvent, { type: 'done' }>): string {
  const at = `step ${done.progress.step}/${done.progress.totalSteps}`;
  switch (done.status) {
    case 'completed':
      return `completed ${id} at ${at}. Summary: \`resnet-tutor report ${id}\``;
    case 'diverged':
      return `diverged: ${done.reason}. This is the lecture's exploding variance at work (lesson 6 and 7: \`resnet-tutor learn 6\`); try a lower --lr or --arch residual-bn.`;
    case 'interrupted': {
      // Say only what is true: a stop after a failed write (disk full) wrote nothing new.
      const ckpt = done.lastCheckpoint;
      const saved =
        ckpt === undefined || ckpt === done.progress.step
          ? done.progress.step === 0
            ? 'before the first step, nothing to save'
            : 'checkpoint written'
          : ckpt === null
            ? 'no checkpoint written yet'
            : `the newest checkpoint is at step ${ckpt}`;
      return `interrupted at ${at}; ${saved}. Continue with \`resnet-tutor resume ${id}\``;
    }
    case 'failed':
      return `failed: ${done.reason ?? 'unknown reason'}`;
  }
}

/**
 * A second Ctrl-C leaves without waiting for the worker: the runs it had not finished are marked
 * interrupted here, so none is left `running` (their newest complete checkpoint stays usable).
 */
function markLeftAtOnce(runs: readonly SupervisedRun[]): void {
  for (const r of runs) {
    try {
      updateRunInfo(r.path, { status: 'interrupted', reason: 'left at once on a second interrupt' });
    } catch {
      // run.json unreadable or unwritable: resume still finds the newest checkpoint.
    }
  }
}

/** One `--json` line: the run-folder format version first, as in metrics.jsonl (docs/run-folder.md). */
function jsonLine(record: Record<string, unknown>): string {
  return JSON.stringify({ formatVersion: RUN_FORMAT_VERSION, ...record });
}

function withoutType(event: RunEvent): Record<string, unknown> {
  const { type: _t, ...rest } = event;
  return rest;
}
