import { Worker } from 'node:worker_threads';
import { UserError } from '../util/errors.js';
import type { TrainConfig } from '../contracts/train-config.js';
import type { ProbeRequest } from '../contracts/probe-options.js';
import type { ProbeAnswer } from '../contracts/probe-protocol.js';
import { updateRunInfo } from '../runs/run-dir.js';
import { compiledWorker } from './worker-path.js';
import {
  isRequestReply,
  parseFromWorker,
  requestIdOf,
  wire,
  type RequestReply,
  type RunCommand,
  type RunEvent,
  type ToWorker,
  type WorkerRequest,
} from '../contracts/engine-protocol.js';

/**
 * The main thread's handle on the engine worker: starts it, sends typed commands, and turns every
 * way a worker can die (throw, out of memory, exit) into `failed` runs with a reason, so the program
 * never hangs or dies with it. Run events go to every listener (`on`); a request's replies go only to
 * its asker (`probe`, `predict`). The main thread never imports tfjs.
 */
export type HostListener = (event: RunEvent) => void;

/** A request sent and not yet answered: its replies go to `reply`; `fail` ends it with an error. */
interface PendingRequest {
  readonly reply: (r: RequestReply) => void;
  readonly fail: (err: Error) => void;
}

export type Predictions = Omit<Extract<RequestReply, { type: 'predictions' }>, 'type' | 'requestId'>;

export class EngineHost {
  private readonly worker: Worker;
  private readonly listeners = new Set<HostListener>();
  /** Runs started and not yet done, with their folders (to mark them failed if the worker dies). */
  private readonly active = new Map<string, string>();
  /** Requests (probe, predict) sent and not yet answered, by request id. */
  private readonly requests = new Map<string, PendingRequest>();
  private exited = false;
  private requestCount = 0;
  /** The backend the worker computes on, once it has said (a run started, a probe answered). */
  private backendName: string | null = null;

  constructor() {
    this.worker = new Worker(compiledWorker('engine-worker'), {
      // Keep the worker's stdout/stderr away from the terminal (the dashboard owns it); console output
      // is routed through the protocol by the worker itself.
      stdout: true,
      stderr: true,
    });
    this.worker.stdout.resume();
    this.worker.stderr.resume();
    this.worker.on('message', (raw: unknown) => this.received(raw));
    this.worker.on('error', (err) => this.workerDied(describeWorkerError(err)));
    this.worker.on('exit', (code) => {
      if (!this.exited) this.workerDied({ reason: `the engine worker exited unexpectedly (code ${code})`, outOfMemory: false });
    });
  }

  /**
   * Nothing runs or waits in the worker, and it computes on wasm: it can be closed and replaced by a
   * new one without losing anything (a native build could not load in a second worker).
   */
  get idleOnWasm(): boolean {
    return !this.exited && this.active.size === 0 && this.requests.size === 0 && this.backendName === 'wasm';
  }

  on(listener: HostListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(runId: string, runPath: string, config: TrainConfig, backend: string, resume: boolean): void {
    this.active.set(runId, runPath);
    this.send({ type: 'start', runId, runPath, config, backend, resume });
  }

  /**
   * Runs a probe in the engine worker (between training steps of any runs it hosts) and resolves with
   * its result; a user error from the worker is rethrown as a UserError.
   */
  probe(request: ProbeRequest, backend: string, onProgress?: (message: string) => void): Promise<ProbeAnswer> {
    return this.ask<ProbeAnswer>(
      (requestId) => ({ type: 'probe', requestId, request, backend }),
      (r, done) => {
        switch (r.type) {
          case 'probe-progress':
            onProgress?.(r.message);
            return;
          case 'probe-result':
            if (r.result.probe !== request.probe)
              throw new Error(`protocol: a ${request.probe} probe was answered with a ${r.result.probe} result`);
            this.backendName = r.backend.name;
            done({ result: r.result, backend: r.backend });
            return;
          case 'predictions':
          case 'request-error':
            throw unexpected(r, 'probe');
        }
      },
    );
  }

  /**
   * Runs a run's network (its newest checkpoint) on the first `count` validation examples in the
   * engine worker; a user error from the worker (no checkpoint, unknown data set) is rethrown as a
   * UserError.
   */
  predict(runPath: string, config: TrainConfig, count: number, backend: string): Promise<Predictions> {
    return this.ask<Predictions>(
      (requestId) => ({ type: 'predict', requestId, runPath, config, count, backend }),
      (r, done) => {
        switch (r.type) {
          case 'predictions':
            done({ step: r.step, shape: r.shape, examples: r.examples });
            return;
          case 'probe-progress':
          case 'probe-result':
          case 'request-error':
            throw unexpected(r, 'predict');
        }
      },
    );
  }

  /**
   * One request to the worker and its answer: replies carrying this request's id go to `handle`,
   * which calls `done` with the result (or throws at a reply that does not belong); a `request-error`,
   * the worker dying or the host closing rejects.
   */
  private ask<T>(message: (requestId: string) => WorkerRequest, handle: (r: RequestReply, done: (value: T) => void) => void): Promise<T> {
    const msg = message(`request-${++this.requestCount}`);
    return new Promise<T>((resolve, reject) => {
      if (this.exited) {
        reject(new Error(`the engine worker has ended; the ${msg.type} request was not sent`));
        return;
      }
      const settle = () => this.requests.delete(msg.requestId);
      const fail = (err: Error) => {
        settle();
        reject(err);
      };
      this.requests.set(msg.requestId, {
        fail,
        reply: (r) => {
          if (r.type === 'request-error') {
            fail(r.user ? new UserError(r.message) : new Error(r.message));
            return;
          }
          try {
            handle(r, (value) => {
              settle();
              resolve(value);
            });
          } catch (err) {
            fail(err as Error);
          }
        },
      });
      this.post(msg);
    });
  }

  /** A command about a run (start, pause, resume, checkpoint, stop). */
  send(msg: RunCommand): void {
    this.post(msg);
  }

  /** Ends the worker; runs still active are left as their last checkpoint and run.json say. */
  async close(): Promise<void> {
    this.exited = true;
    for (const r of [...this.requests.values()]) r.fail(new Error('the engine worker was closed before it answered'));
    await this.worker.terminate();
  }

  private post(msg: ToWorker): void {
    if (!this.exited) this.worker.postMessage(wire(msg));
  }

  private received(raw: unknown): void {
    let msg;
    try {
      msg = parseFromWorker(raw);
    } catch (err) {
      const error = err as Error;
      // A malformed reply still ends its request (else the asker would wait for ever).
      const id = requestIdOf(raw);
      const pending = id === null ? undefined : this.requests.get(id);
      if (pending) pending.fail(error);
      else this.emit({ type: 'error', runId: null, message: error.message, user: false });
      return;
    }
    if (isRequestReply(msg)) {
      const pending = this.requests.get(msg.requestId);
      if (pending) pending.reply(msg);
      else
        this.emit({
          type: 'error',
          runId: null,
          message: `protocol: a ${msg.type} for request ${msg.requestId}, which is not waiting`,
          user: false,
        });
      return;
    }
    if (msg.type === 'done') this.active.delete(msg.runId);
    if (msg.type === 'started') this.backendName = msg.backend.name;
    this.emit(msg);
  }

  private emit(event: RunEvent): void {
    for (const l of this.listeners) l(event);
  }

  private workerDied({ reason, outOfMemory }: { reason: string; outOfMemory: boolean }): void {
    if (this.exited) return;
    this.exited = true;
    for (const [runId, runPath] of this.active) {
      const message = `${reason}. The run is marked failed; its last checkpoint is intact: continue it with \`resnet-tutor resume ${runId}\`.`;
      try {
        updateRunInfo(runPath, { status: 'failed', reason });
      } catch {
        // run.json unreadable or unwritable: the message below still reports the failure.
      }
      this.emit({ type: 'error', runId, message, user: false });
      this.emit({ type: 'done', runId, status: 'failed', progress: { step: 0, totalSteps: 0, stepsPerEpoch: 1, epoch: 0 }, reason });
    }
    this.active.clear();
    // Out of memory is the size the user asked for; anything else is a bug.
    const requestError = (): Error =>
      outOfMemory ? new UserError(`${reason.charAt(0).toUpperCase()}${reason.slice(1)}.`) : new Error(reason);
    for (const r of [...this.requests.values()]) r.fail(requestError());
    this.emit({ type: 'error', runId: null, message: reason, user: false });
  }
}

/** A reply of another request's kind: a protocol error. */
function unexpected(r: RequestReply, kind: WorkerRequest['type']): Error {
  return new Error(`protocol: a ${kind} request was answered with ${r.type}`);
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

function describeWorkerError(err: Error & { code?: string }): { reason: string; outOfMemory: boolean } {
  if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') {
    return { reason: 'the engine worker ran out of memory (try a smaller --batch-size or --width)', outOfMemory: true };
  }
  return { reason: `the engine worker crashed: ${err.message}`, outOfMemory: false };
}
