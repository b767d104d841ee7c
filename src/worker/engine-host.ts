import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { UserError } from '../util/errors.js';
import type { TrainConfig } from '../contracts/train-config.js';
import type { ProbeRequest } from '../contracts/probe-options.js';
import type { ProbeBackend, ProbeResult } from '../contracts/probe-protocol.js';
import { updateRunInfo } from '../runs/run-dir.js';
import { parseFromWorker, PROTOCOL_VERSION, type FromWorker, type ToWorker } from '../contracts/engine-protocol.js';

/**
 * The main thread's handle on the engine worker: starts it, sends typed commands, and turns every
 * way a worker can die (throw, out of memory, exit) into `failed` runs with a reason, so the program
 * never hangs or dies with it. The main thread never imports tfjs.
 */
export type HostListener = (event: FromWorker) => void;

export class EngineHost {
  private readonly worker: Worker;
  private readonly listeners = new Set<HostListener>();
  /** Runs started and not yet done, with their folders (to mark them failed if the worker dies). */
  private readonly active = new Map<string, string>();
  private exited = false;
  private requestCount = 0;
  /** Requests (probe, predict) sent and not yet answered. */
  private pending = 0;
  /** The backend the worker computes on, once it has said (a run started, a probe answered). */
  private backendName: string | null = null;

  constructor() {
    this.worker = new Worker(workerScript(), {
      // Keep the worker's stdout/stderr away from the terminal (the dashboard owns it); console output
      // is routed through the protocol by the worker itself.
      stdout: true,
      stderr: true,
    });
    this.worker.stdout.resume();
    this.worker.stderr.resume();
    this.worker.on('message', (raw: unknown) => {
      let event: FromWorker;
      try {
        event = parseFromWorker(raw);
      } catch (err) {
        this.emit({ v: 1, type: 'error', runId: null, message: (err as Error).message, user: false });
        return;
      }
      if (event.type === 'done') this.active.delete(event.runId);
      if (event.type === 'started' || event.type === 'probe-result') this.backendName = event.backend.name;
      this.emit(event);
    });
    this.worker.on('error', (err) => this.workerDied(describeWorkerError(err)));
    this.worker.on('exit', (code) => {
      if (!this.exited) this.workerDied(`the engine worker exited unexpectedly (code ${code})`);
    });
  }

  /**
   * Nothing runs or waits in the worker, and it computes on wasm: it can be closed and replaced by a
   * new one without losing anything (a native build could not load in a second worker).
   */
  get idleOnWasm(): boolean {
    return !this.exited && this.active.size === 0 && this.pending === 0 && this.backendName === 'wasm';
  }

  on(listener: HostListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(runId: string, runPath: string, config: TrainConfig, backend: string, resume: boolean): void {
    this.active.set(runId, runPath);
    this.send({ v: PROTOCOL_VERSION, type: 'start', runId, runPath, config, backend, resume });
  }

  /**
   * Runs a probe in the engine worker (between training steps of any runs it hosts) and resolves with
   * its result; a user error from the worker is rethrown as a UserError.
   */
  probe(
    request: ProbeRequest,
    backend: string,
    onProgress?: (message: string) => void,
  ): Promise<{ result: ProbeResult; backend: ProbeBackend }> {
    return this.ask(
      'probe',
      (requestId) => ({ v: PROTOCOL_VERSION, type: 'probe', requestId, request, backend }),
      (e, done) => {
        if (e.type === 'probe-progress') onProgress?.(e.message);
        if (e.type === 'probe-result') done({ result: e.result, backend: e.backend });
      },
    );
  }

  /**
   * Runs a run's network (its newest checkpoint) on the first `count` validation examples in the
   * engine worker; a user error from the worker (no checkpoint, unknown data set) is rethrown as a
   * UserError.
   */
  predict(
    runPath: string,
    config: TrainConfig,
    count: number,
    backend: string,
  ): Promise<Omit<Extract<FromWorker, { type: 'predictions' }>, 'v' | 'type' | 'requestId'>> {
    return this.ask(
      'predict',
      (requestId) => ({ v: PROTOCOL_VERSION, type: 'predict', requestId, runPath, config, count, backend }),
      (e, done) => {
        if (e.type === 'predictions') done({ step: e.step, shape: e.shape, examples: e.examples });
      },
    );
  }

  /**
   * One request to the worker and its answer: events carrying this request's id go to `handle`,
   * which calls `done` with the result; a `*-error` event, or the worker dying, rejects.
   */
  private ask<T>(
    kind: string,
    message: (requestId: string) => ToWorker,
    handle: (e: FromWorker, done: (value: T) => void) => void,
  ): Promise<T> {
    const requestId = `${kind}-${++this.requestCount}`;
    this.pending++;
    const answer = new Promise<T>((resolve, reject) => {
      const off = this.on((e) => {
        if (!('requestId' in e) || e.requestId !== requestId) {
          if (e.type === 'error' && e.runId === null && this.exited) {
            off();
            reject(new Error(e.message));
          }
          return;
        }
        if (e.type === 'probe-error' || e.type === 'predict-error') {
          off();
          reject(e.user ? new UserError(e.message) : new Error(e.message));
          return;
        }
        handle(e, (value) => {
          off();
          resolve(value);
        });
      });
      this.send(message(requestId));
    });
    return answer.finally(() => this.pending--);
  }

  send(msg: ToWorker): void {
    if (!this.exited) this.worker.postMessage(msg);
  }

  /** Ends the worker; runs still active are left as their last checkpoint and run.json say. */
  async close(): Promise<void> {
    this.exited = true;
    await this.worker.terminate();
  }

  private emit(event: FromWorker): void {
    for (const l of this.listeners) l(event);
  }

  private workerDied(reason: string): void {
    if (this.exited) return;
    this.exited = true;
    for (const [runId, runPath] of this.active) {
      const message = `${reason}. The run is marked failed; its last checkpoint is intact: continue it with \`resnet-tutor resume ${runId}\`.`;
      try {
        updateRunInfo(runPath, { status: 'failed', reason });
      } catch {
        // run.json unreadable or unwritable: the message below still reports the failure.
      }
      this.emit({ v: 1, type: 'error', runId, message, user: false });
      this.emit({ v: 1, type: 'done', runId, status: 'failed', progress: { step: 0, totalSteps: 0, stepsPerEpoch: 1, epoch: 0 }, reason });
    }
    this.active.clear();
    // Anyone waiting on the worker without a run (a probe) hears about it too.
    this.emit({ v: 1, type: 'error', runId: null, message: reason, user: false });
  }
}

/**
 * One engine worker at a time for a session of varied work (the tutor's experiments). A worker keeps
 * the wasm build its first request chose (threads for CNNs, one thread for MLPs); when work of the
 * other kind comes and the worker is idle on wasm, it is closed and a fresh one takes over. Otherwise
 * (busy, or a native build, which cannot load in a second worker) the current worker is kept.
 */
export function engineHostPerKind(make: () => EngineHost = () => new EngineHost()): {
  get(convolutional?: boolean): EngineHost;
  close(): Promise<void>;
} {
  let host: EngineHost | null = null;
  let forCnn: boolean | undefined;
  return {
    get(convolutional) {
      if (host && convolutional !== undefined && convolutional !== forCnn && host.idleOnWasm) {
        // The replaced worker is idle: nothing is lost if its terminate fails, and nobody waits on it.
        host.close().catch(() => {});
        host = null;
      }
      if (!host) {
        host = make();
        forCnn = convolutional;
      }
      return host;
    },
    async close() {
      await host?.close();
      host = null;
    },
  };
}

function describeWorkerError(err: Error & { code?: string }): string {
  if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') return 'the engine worker ran out of memory (try a smaller --batch-size or --width)';
  return `the engine worker crashed: ${err.message}`;
}

/**
 * The compiled worker script. Under vitest this module runs from src/*.ts, and a worker needs
 * JavaScript, so it points at the build in dist/ (`npm test` builds first).
 */
export function workerScript(): URL {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return new URL('./engine-worker.js', import.meta.url);
  const compiled = here.replace(/[/\\]src[/\\]worker[/\\]engine-host\.ts$/, '/dist/src/worker/engine-worker.js');
  if (!existsSync(compiled)) throw new Error(`${compiled} is missing: run \`npm run build\` first`);
  return pathToFileURL(compiled);
}
