import type { TrainConfig } from './train-config.js';
import type { ProbeRequest } from './probe-options.js';
import { readProbeAnswer, readProbeRequest, type ProbeBackend, type ProbeResult } from './probe-protocol.js';
import type { BackendSummary, MetricsLine, RunStatus } from './run-folder.js';
import { Fields, readConfig } from './protocol-check.js';

/**
 * Messages between the main thread (CLI, dashboard, tutor) and the engine worker. Two kinds each way:
 *
 * - about runs: the main thread sends run commands (start, pause, ...), the worker answers with run
 *   events (started, metrics, ..., done) that carry the run's id; anyone may listen to them;
 * - requests: the main thread sends a request (probe, predict) with a fresh `requestId`; the worker
 *   answers with replies carrying that id: progress lines, then exactly one result or `request-error`.
 *   Only the asker reads them (EngineHost routes them), so run listeners never see one.
 *
 * On the wire each message is its body plus the version, `{ v: PROTOCOL_VERSION, ...body }` (`wire`).
 * Each side checks everything it receives with `parseToWorker` / `parseFromWorker`: the version, the
 * type and every field, so a message of another build or shape is a clear error, not undefined
 * behaviour further on.
 */
export const PROTOCOL_VERSION = 1;

/** A message as it travels between the threads: its body and the protocol version. */
export type Wire<T> = T & { readonly v: typeof PROTOCOL_VERSION };

export function wire<T extends object>(body: T): Wire<T> {
  return { v: PROTOCOL_VERSION, ...body };
}

// Main thread -> worker.

export type RunCommand =
  | {
      readonly type: 'start';
      readonly runId: string;
      readonly runPath: string;
      readonly config: TrainConfig;
      /** The backend this worker should load on its first start ('auto' tries node-gpu, node, wasm, cpu). */
      readonly backend: string;
      /** Continue from the newest good checkpoint in runPath. */
      readonly resume: boolean;
    }
  | { readonly type: 'pause'; readonly runId: string }
  | { readonly type: 'resume'; readonly runId: string }
  | { readonly type: 'checkpoint'; readonly runId: string }
  /** Finish the current step, write a checkpoint (when `checkpoint`), mark the run interrupted. */
  | { readonly type: 'stop'; readonly runId: string; readonly checkpoint: boolean };

export type WorkerRequest =
  /** Run a probe in this worker (between training steps), so the process loads tfjs in one thread only. */
  | { readonly type: 'probe'; readonly requestId: string; readonly request: ProbeRequest; readonly backend: string }
  /**
   * Run a finished (or checkpointed) run's network on the first `count` validation examples, from its
   * newest checkpoint, in evaluation mode; answered by `predictions`.
   */
  | {
      readonly type: 'predict';
      readonly requestId: string;
      readonly runPath: string;
      readonly config: TrainConfig;
      readonly count: number;
      readonly backend: string;
    };

export type ToWorker = RunCommand | WorkerRequest;

// Worker -> main thread.

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

/** What happens to runs, and the worker's own lines (`runId: null`: about no run in particular). */
export type RunEvent =
  | {
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
  | { readonly type: 'metrics'; readonly runId: string; readonly lines: readonly MetricsLine[] }
  | { readonly type: 'status'; readonly runId: string; readonly status: 'running' | 'paused'; readonly progress: RunProgress }
  | { readonly type: 'checkpointed'; readonly runId: string; readonly step: number; readonly path: string }
  | { readonly type: 'log'; readonly runId: string | null; readonly level: 'info' | 'warn'; readonly message: string }
  | {
      readonly type: 'error';
      readonly runId: string | null;
      readonly message: string;
      /** A user error (bad data set name, foreign checkpoint) rather than a bug. */
      readonly user: boolean;
    }
  | {
      readonly type: 'done';
      readonly runId: string;
      readonly status: Exclude<RunStatus, 'running'>;
      readonly progress: RunProgress;
      readonly divergence?: { readonly step: number; readonly where: string; readonly what: string };
      readonly reason?: string;
      /** For an interrupted run: the step of its newest checkpoint (null: none yet), so no message claims one it lacks. */
      readonly lastCheckpoint?: number | null;
    };

/** The answers to one request, all with its `requestId`. */
export type RequestReply =
  | { readonly type: 'probe-progress'; readonly requestId: string; readonly message: string }
  | { readonly type: 'probe-result'; readonly requestId: string; readonly result: ProbeResult; readonly backend: ProbeBackend }
  | {
      readonly type: 'predictions';
      readonly requestId: string;
      /** The checkpoint step the weights came from. */
      readonly step: number;
      /** Height and width of one example's image. */
      readonly shape: readonly [number, number];
      readonly examples: readonly PredictedExample[];
    }
  /** The request failed; `user`: a user error (bad option, no checkpoint) rather than a bug. */
  | { readonly type: 'request-error'; readonly requestId: string; readonly message: string; readonly user: boolean };

export type FromWorker = RunEvent | RequestReply;

export function isRequestReply(msg: FromWorker): msg is RequestReply {
  switch (msg.type) {
    case 'probe-progress':
    case 'probe-result':
    case 'predictions':
    case 'request-error':
      return true;
    case 'started':
    case 'metrics':
    case 'status':
    case 'checkpointed':
    case 'log':
    case 'error':
    case 'done':
      return false;
  }
}

export function isRequest(msg: ToWorker): msg is WorkerRequest {
  switch (msg.type) {
    case 'probe':
    case 'predict':
      return true;
    case 'start':
    case 'pause':
    case 'resume':
    case 'checkpoint':
    case 'stop':
      return false;
  }
}

/** The `requestId` of a received message, if it has one as a string (to answer even a malformed request). */
export function requestIdOf(raw: unknown): string | null {
  const id = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>).requestId : undefined;
  return typeof id === 'string' ? id : null;
}

/** Checks a message the worker received and returns its body (without `v`). */
export function parseToWorker(raw: unknown): ToWorker {
  const { type, f } = envelope(raw, 'main thread');
  switch (type) {
    case 'start':
      return {
        type,
        runId: f.string('runId'),
        runPath: f.string('runPath'),
        config: readConfig(f.get('config'), `${f.what}: config`),
        backend: f.string('backend'),
        resume: f.boolean('resume'),
      };
    case 'pause':
    case 'resume':
    case 'checkpoint':
      return { type, runId: f.string('runId') };
    case 'stop':
      return { type, runId: f.string('runId'), checkpoint: f.boolean('checkpoint') };
    case 'probe':
      return {
        type,
        requestId: f.string('requestId'),
        request: readProbeRequest(f.get('request'), `${f.what}: request`),
        backend: f.string('backend'),
      };
    case 'predict':
      return {
        type,
        requestId: f.string('requestId'),
        runPath: f.string('runPath'),
        config: readConfig(f.get('config'), `${f.what}: config`),
        count: f.number('count'),
        backend: f.string('backend'),
      };
    default:
      throw new Error(`protocol: unknown message type ${String(type)} from the main thread`);
  }
}

const RUN_STATUSES = ['paused', 'running'] as const;
const FINAL_STATUSES = ['interrupted', 'completed', 'failed', 'diverged'] as const;
const DIVERGED_WHAT = ['activation', 'gradient', 'weights', 'loss'] as const;

/** Checks a message the main thread received from the worker and returns its body (without `v`). */
export function parseFromWorker(raw: unknown): FromWorker {
  const { type, f } = envelope(raw, 'engine worker');
  switch (type) {
    case 'started':
      return {
        type,
        runId: f.string('runId'),
        backend: readBackendSummary(f.object('backend')),
        units: f.strings('units'),
        progress: readProgress(f.object('progress')),
        resumedFrom: f.nullableNumber('resumedFrom'),
        skipped: f.strings('skipped'),
        parameterCount: f.number('parameterCount'),
      };
    case 'metrics':
      return { type, runId: f.string('runId'), lines: f.array('lines', readMetricsLine) };
    case 'status':
      return { type, runId: f.string('runId'), status: f.oneOf('status', RUN_STATUSES), progress: readProgress(f.object('progress')) };
    case 'checkpointed':
      return { type, runId: f.string('runId'), step: f.number('step'), path: f.string('path') };
    case 'log':
      return { type, runId: f.nullableString('runId'), level: f.oneOf('level', ['info', 'warn'] as const), message: f.string('message') };
    case 'error':
      return { type, runId: f.nullableString('runId'), message: f.string('message'), user: f.boolean('user') };
    case 'done': {
      const d = f.has('divergence') ? f.object('divergence') : null;
      return {
        type,
        runId: f.string('runId'),
        status: f.oneOf('status', FINAL_STATUSES),
        progress: readProgress(f.object('progress')),
        ...(d ? { divergence: { step: d.number('step'), where: d.string('where'), what: d.oneOf('what', DIVERGED_WHAT) } } : {}),
        ...(f.has('reason') ? { reason: f.string('reason') } : {}),
        ...(f.has('lastCheckpoint') ? { lastCheckpoint: f.nullableNumber('lastCheckpoint') } : {}),
      };
    }
    case 'probe-progress':
      return { type, requestId: f.string('requestId'), message: f.string('message') };
    case 'probe-result':
      return { type, requestId: f.string('requestId'), ...readProbeAnswer(f) };
    case 'predictions': {
      const shape = f.numbers('shape');
      if (shape.length !== 2) f.fail('shape', '[height, width]');
      return {
        type,
        requestId: f.string('requestId'),
        step: f.number('step'),
        shape: [shape[0] ?? 0, shape[1] ?? 0],
        examples: f.array('examples', readExample),
      };
    }
    case 'request-error':
      return { type, requestId: f.string('requestId'), message: f.string('message'), user: f.boolean('user') };
    default:
      throw new Error(`protocol: unknown message type ${String(type)} from the engine worker`);
  }
}

/** The version and type of a received message, and its fields named after both in errors. */
function envelope(raw: unknown, from: string): { type: unknown; f: Fields } {
  const m = Fields.of(raw, `message from the ${from}`);
  const v = m.get('v');
  if (v !== PROTOCOL_VERSION) throw new Error(`protocol: message from the ${from} has version ${String(v)}, expected ${PROTOCOL_VERSION}`);
  const type = m.get('type');
  return { type, f: Fields.of(raw, `${String(type)} message from the ${from}`) };
}

function readProgress(p: Fields): RunProgress {
  return { step: p.number('step'), totalSteps: p.number('totalSteps'), stepsPerEpoch: p.number('stepsPerEpoch'), epoch: p.number('epoch') };
}

function readBackendSummary(b: Fields): BackendSummary {
  b.string('name');
  b.string('device');
  b.boolean('usingGpu');
  b.array('attempts', (value, what) => {
    const a = Fields.of(value, what);
    a.string('name');
    a.boolean('ok');
    for (const k of ['reason', 'fix']) if (a.has(k)) a.string(k);
  });
  b.strings('warnings');
  return b.value as unknown as BackendSummary;
}

function readMetricsLine(value: unknown, what: string): MetricsLine {
  const l = Fields.of(value, what);
  for (const k of ['step', 'epoch', 'loss', 'lr', 'samplesPerSecond']) l.number(k);
  for (const k of ['formatVersion', 'accuracy', 'valLoss', 'valAccuracy']) if (l.has(k)) l.number(k);
  l.numbers('gradNorms');
  l.numbers('activationVariances');
  l.string('time');
  return value as MetricsLine;
}

function readExample(value: unknown, what: string): PredictedExample {
  const e = Fields.of(value, what);
  e.numbers('input');
  e.numbers('target');
  e.numbers('prediction');
  return value as PredictedExample;
}
