import { resolve } from 'node:path';
import { packageVersion } from '../version.js';
import { UserError, EXIT } from '../errors.js';
import { describeModel, resolveConfig, type TrainConfig } from '../engine/config.js';
import { DATASET_INFO, DATASET_NAMES, isDatasetName } from '../engine/data/index.js';
import { EngineHost } from '../worker/engine-host.js';
import type { FromWorker } from '../worker/protocol.js';
import { formatBackend, formatMetricsLine } from './headless-format.js';
import { createRunDir, findRun, readRunInfo } from './run-dir.js';

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

export function checkedConfig(raw: Record<string, unknown>): TrainConfig {
  const config = resolveConfig(raw);
  if (!isDatasetName(config.dataset)) {
    throw new UserError(`--dataset must be one of ${DATASET_NAMES.join(', ')}; got "${config.dataset}".`);
  }
  const info = DATASET_INFO[config.dataset];
  if (config.net === 'cnn' && info.inputShape.length !== 3) {
    throw new UserError(
      `--net cnn needs image data, but ${config.dataset} has examples of shape [${info.inputShape.join(', ')}]. Use --net mlp, or --dataset fashion-mnist, mnist or cifar10.`,
    );
  }
  return config;
}

export async function launchTraining(opts: LaunchOptions): Promise<number> {
  const config = checkedConfig(opts.raw);
  const { id, path } = createRunDir(opts.runRoot, config, { resnetTutor: packageVersion() });
  return superviseRun({ id, path, config, backend: opts.backend, resume: false, json: opts.json, out: opts.out });
}

export async function resumeTraining(opts: { run: string; runRoot: string; backend: string | undefined; json: boolean; out?: (line: string) => void }): Promise<number> {
  const path = findRun(opts.runRoot, opts.run);
  const info = readRunInfo(path);
  if (info.status === 'completed') {
    throw new UserError(`Run ${info.id} already completed at step ${info.step}. Look at it with \`resnet-tutor report ${info.id}\`, or start a longer run with \`resnet-tutor train\`.`);
  }
  const backend = opts.backend && opts.backend !== 'auto' ? opts.backend : (info.backend?.name ?? 'auto');
  return superviseRun({ id: info.id, path, config: info.config, backend, resume: true, json: opts.json, out: opts.out });
}

interface Supervised {
  readonly id: string;
  readonly path: string;
  readonly config: TrainConfig;
  readonly backend: string;
  readonly resume: boolean;
  readonly json: boolean;
  readonly out?: (line: string) => void;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR1'] as const;

/** Runs one training run in the engine worker until it ends; returns the contract's exit code. */
async function superviseRun(run: Supervised): Promise<number> {
  const out = run.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const err = (line: string) => (run.json ? out(JSON.stringify({ event: 'log', message: line })) : process.stderr.write(`${line}\n`));
  const host = new EngineHost();
  let totalSteps = 0;
  let stopping = false;

  const onSignal = (signal: (typeof SIGNALS)[number]) => {
    if (stopping) {
      if (signal === 'SIGINT') {
        // Second Ctrl-C: leave now. The newest complete checkpoint stays usable.
        err(`second interrupt: exiting now; resume with \`resnet-tutor resume ${run.id}\``);
        process.exit(EXIT.interrupted);
      }
      return;
    }
    stopping = true;
    err(`${signal}: finishing the current step and writing a checkpoint (Ctrl-C again to exit at once)`);
    host.send({ v: 1, type: 'stop', runId: run.id, checkpoint: true });
  };
  for (const s of SIGNALS) process.on(s, onSignal);

  try {
    const done = await new Promise<Extract<FromWorker, { type: 'done' }>>((resolveDone) => {
      host.on((event) => {
        if ('runId' in event && event.runId !== null && event.runId !== run.id) return;
        if (run.json && event.type !== 'metrics') {
          out(JSON.stringify({ event: event.type, ...stripVersion(event) }));
        }
        switch (event.type) {
          case 'started': {
            totalSteps = event.progress.totalSteps;
            if (!run.json) {
              const c = run.config;
              out(`run ${run.id} in ${resolve(run.path)}`);
              out(
                `model ${describeModel(c)} (${event.parameterCount.toLocaleString('en-US')} parameters, ${event.units.length - 2} blocks) on ${c.dataset}, batch ${c.batchSize}, ${c.optimizer} lr ${c.lr}, ${totalSteps} steps`,
              );
              for (const l of formatBackend(event.backend)) out(l);
              if (event.resumedFrom !== null) out(`resumed from the checkpoint at step ${event.resumedFrom}`);
              for (const s of event.skipped) out(`  skipped damaged checkpoint ${s}`);
            }
            break;
          }
          case 'metrics':
            for (const line of event.lines) {
              out(run.json ? JSON.stringify(line) : formatMetricsLine(line, totalSteps, run.config.batchSize));
            }
            break;
          case 'log':
            if (!run.json) err(event.message);
            break;
          case 'error':
            if (!run.json) err(`${event.user ? '' : 'error: '}${event.message}`);
            if (event.user && !stopping) {
              // A checkpoint that cannot be written pauses the run; headless, nobody can fix it now.
              stopping = true;
              host.send({ v: 1, type: 'stop', runId: run.id, checkpoint: false });
            }
            break;
          case 'checkpointed':
            break;
          case 'done':
            resolveDone(event);
            break;
          default:
            break;
        }
      });
      host.start(run.id, run.path, run.config, run.backend, run.resume);
    });
    if (!run.json) out(doneMessage(run.id, done));
    if (done.status === 'completed') return EXIT.ok;
    if (done.status === 'diverged') return EXIT.diverged;
    if (done.status === 'interrupted') return stopping ? EXIT.interrupted : EXIT.userError;
    return EXIT.userError;
  } finally {
    for (const s of SIGNALS) process.off(s, onSignal);
    await host.close();
  }
}

function doneMessage(id: string, done: Extract<FromWorker, { type: 'done' }>): string {
  const at = `step ${done.progress.step}/${done.progress.totalSteps}`;
  switch (done.status) {
    case 'completed':
      return `completed ${id} at ${at}. Summary: \`resnet-tutor report ${id}\``;
    case 'diverged':
      return `diverged: ${done.reason}. This is the lecture's exploding variance at work (lesson 6 and 7: \`resnet-tutor learn 6\`); try a lower --lr or --arch residual-bn.`;
    case 'interrupted':
      return `interrupted at ${at}; checkpoint written. Continue with \`resnet-tutor resume ${id}\``;
    default:
      return `failed: ${done.reason ?? 'unknown reason'}`;
  }
}

function stripVersion(event: FromWorker): Record<string, unknown> {
  const { v: _v, type: _t, ...rest } = event as unknown as Record<string, unknown>;
  return rest;
}
