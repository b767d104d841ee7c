import type { TrainConfig } from './train-config.js';
import type { ProbeRequest } from './probe-options.js';
import type { ProbeBackend, ProbeResult } from './probe-protocol.js';
import type { MetricsLine } from './run-folder.js';
import type { BackendSummary, RunStatus } from './run-folder.js';

/**
 * Messages between the main thread (CLI, dashboard) and the engine worker. A discriminated union with a
 * version; each side validates what it receives with `parseToWorker` / `parseFromWorker`, so a message
 * of another version or shape is a clear error instead of undefined behaviour.
 */
export const PROTOCOL_VERSION = 1;

export type ToWorker =
  | {
      readonly v: 1;
      readonly type: 'start';
      readonly runId: string;
      readonly runPath: string;
      readonly config: TrainConfig;
      /** The backend this worker should load on its first start ('auto' tries node-gpu, node, wasm, cpu). */
      readonly backend: string;
      /** Continue from the newest good checkpoint in runPath. */
      readonly resume: boolean;
    }
  | { readonly v: 1; readonly type: 'pause'; readonly runId: string }
  | { readonly v: 1; readonly type: 'resume'; readonly runId: string }
  | { readonly v: 1; readonly type: 'checkpoint'; readonly runId: string }
  /** Finish the current step, write a checkpoint (when `checkpoint`), mark the run interrupted. */
  | { readonly v: 1; readonly type: 'stop'; readonly runId: string; readonly checkpoint: boolean }
  /** Run a probe in this worker (between training steps), so the process loads tfjs in one thread only. */
  | { readonly v: 1; readonly type: 'probe'; readonly requestId: string; readonly request: ProbeRequest; readonly backend: string }
  /**
   * Run a finished (or checkpointed) run's network on the first `count` validation examples, from its
   * newest checkpoint, in evaluation mode; answered by `predictions` or `predict-error`.
   */
  | {
      readonly v: 1;
      readonly type: 'predict';
      readonly requestId: string;
      readonly runPath: string;
      readonly config: TrainConfig;
      readonly count: number;
      readonly backend: string;
    };

/** One example of a prediction: flat row-major values, `height * width` (one channel) each. */
export interface PredictedExample {
  /** The input image as the network saw it (normalised). */
  readonly input: readonly number[];
  /** The target mask (segmentation), or an empty array when the task has no per-pixel target. */
  readonly target: readonly number[];
  /** The network's output: per-pixel probabilities for segmentation, else its logits. */
  readonly prediction: readonly number[];
}

export interface RunProgress {
  readonly step: number;
  readonly totalSteps: number;
  readonly stepsPerEpoch: number;
  readonly epoch: number;
}

export type FromWorker =
  | { readonly v: 1; readonly type: 'probe-progress'; readonly requestId: string; readonly message: string }
  | {
      readonly v: 1;
      readonly type: 'probe-result';
      readonly requestId: string;
      readonly result: ProbeResult;
      readonly backend: ProbeBackend;
    }
  | { readonly v: 1; readonly type: 'probe-error'; readonly requestId: string; readonly message: string; readonly user: boolean }
  | {
      readonly v: 1;
      readonly type: 'predictions';
      readonly requestId: string;
      /** The checkpoint step the weights came from. */
      readonly step: number;
      /** Height and width of one example's image. */
      readonly shape: readonly [number, number];
      readonly examples: readonly PredictedExample[];
    }
  | { readonly v: 1; readonly type: 'predict-error'; readonly requestId: string; readonly message: string; readonly user: boolean }
  | {
      readonly v: 1;
      readonly type: 'started';
      readonly runId: string;
      readonly backend: BackendSummary;
      readonly units: readonly string[];
      readonly progress: RunProgress;
      /** Set when resuming: the checkpoint step continued from and any damaged newer checkpoints skipped. */
      readonly resumedFrom: number | null;
      readonly skipped: readonly string[];
      readonly parameterCount: number;
    }
  | { readonly v: 1; readonly type: 'metrics'; readonly runId: string; readonly lines: readonly MetricsLine[] }
  | {
      readonly v: 1;
      readonly type: 'status';
      readonly runId: string;
      readonly status: 'running' | 'paused';
      readonly progress: RunProgress;
    }
  | { readonly v: 1; readonly type: 'checkpointed'; readonly runId: string; readonly step: number; readonly path: string }
  | { readonly v: 1; readonly type: 'log'; readonly runId: string | null; readonly level: 'info' | 'warn'; readonly message: string }
  | {
      readonly v: 1;
      readonly type: 'error';
      readonly runId: string | null;
      readonly message: string;
      /** A user error (bad data set name, foreign checkpoint) rather than a bug. */
      readonly user: boolean;
    }
  | {
      readonly v: 1;
      readonly type: 'done';
      readonly runId: string;
      readonly status: Exclude<RunStatus, 'running'>;
      readonly progress: RunProgress;
      readonly divergence?: { step: number; where: string; what: string };
      readonly reason?: string;
      /** For an interrupted run: the step of its newest checkpoint (null: none yet), so no message claims one it lacks. */
      readonly lastCheckpoint?: number | null;
    };

const TO_WORKER_TYPES = new Set(['start', 'pause', 'resume', 'checkpoint', 'stop', 'probe', 'predict']);
const FROM_WORKER_TYPES = new Set([
  'started',
  'metrics',
  'status',
  'checkpointed',
  'log',
  'error',
  'done',
  'probe-progress',
  'probe-result',
  'probe-error',
  'predictions',
  'predict-error',
]);

export function parseToWorker(msg: unknown): ToWorker {
  return check(msg, TO_WORKER_TYPES, 'main thread') as ToWorker;
}

export function parseFromWorker(msg: unknown): FromWorker {
  return check(msg, FROM_WORKER_TYPES, 'engine worker') as FromWorker;
}

function check(msg: unknown, types: Set<string>, from: string): unknown {
  if (typeof msg !== 'object' || msg === null) throw new Error(`protocol: message from the ${from} is not an object`);
  const m = msg as Record<string, unknown>;
  if (m.v !== PROTOCOL_VERSION)
    throw new Error(`protocol: message from the ${from} has version ${String(m.v)}, expected ${PROTOCOL_VERSION}`);
  if (typeof m.type !== 'string' || !types.has(m.type))
    throw new Error(`protocol: unknown message type ${String(m.type)} from the ${from}`);
  const probeMessage = typeof m.type === 'string' && (m.type.startsWith('probe') || m.type.startsWith('predict'));
  if (probeMessage && typeof m.requestId !== 'string') throw new Error(`protocol: ${m.type} message from the ${from} has no requestId`);
  if (!probeMessage && m.type !== 'log' && m.type !== 'error' && typeof m.runId !== 'string') {
    throw new Error(`protocol: ${m.type} message from the ${from} has no runId`);
  }
  if (m.type === 'start') {
    if (typeof m.runPath !== 'string' || typeof m.config !== 'object' || m.config === null || typeof m.backend !== 'string') {
      throw new Error('protocol: start message needs runPath, config and backend');
    }
  }
  if (m.type === 'predict') {
    if (typeof m.runPath !== 'string' || typeof m.config !== 'object' || m.config === null || typeof m.count !== 'number') {
      throw new Error('protocol: predict message needs runPath, config and count');
    }
  }
  if (m.type === 'predictions' && !Array.isArray(m.examples)) throw new Error('protocol: predictions message needs examples');
  if (m.type === 'metrics' && !Array.isArray(m.lines)) throw new Error('protocol: metrics message needs lines');
  return msg;
}
