import { describe, expect, it } from 'vitest';
import {
  isRequest,
  isRequestReply,
  parseFromWorker,
  parseToWorker,
  PROTOCOL_VERSION,
  wire,
  type FromWorker,
  type ToWorker,
} from '../../src/contracts/engine-protocol.js';
import { resolveConfig } from '../../src/contracts/train-config.js';
import { resolveLesionOptions, resolvePathsOptions, resolveVarianceOptions } from '../../src/contracts/probe-options.js';

const PROGRESS = { step: 0, totalSteps: 10, stepsPerEpoch: 5, epoch: 0 };
const CONFIG = resolveConfig({ depth: 2, width: 8, steps: 3, dataset: 'synthetic-spiral' });
const RUN = { id: 'r', path: '/runs/r', config: CONFIG };
const BACKEND = { name: 'wasm', device: 'CPU', usingGpu: false, attempts: [{ name: 'wasm', ok: true }], warnings: [] };
const LINE = {
  step: 10,
  epoch: 0.5,
  loss: NaN,
  lr: 0.05,
  gradNorms: [1, 2],
  activationVariances: [1],
  samplesPerSecond: 100,
  time: 't',
  valAccuracy: 0.5,
};

const TO_WORKER: ToWorker[] = [
  { type: 'start', runId: 'r', runPath: '/runs/r', config: CONFIG, backend: 'wasm', resume: false },
  { type: 'pause', runId: 'r' },
  { type: 'resume', runId: 'r' },
  { type: 'checkpoint', runId: 'r' },
  { type: 'stop', runId: 'r', checkpoint: true },
  { type: 'probe', requestId: 'q1', request: { probe: 'variance', options: resolveVarianceOptions({ depth: '4' }) }, backend: 'wasm' },
  { type: 'probe', requestId: 'q2', request: { probe: 'lesion', options: resolveLesionOptions({}, RUN) }, backend: 'auto' },
  { type: 'probe', requestId: 'q3', request: { probe: 'paths', options: resolvePathsOptions({ depth: '4' }, null) }, backend: 'cpu' },
  { type: 'predict', requestId: 'q4', runPath: '/runs/r', config: CONFIG, count: 4, backend: 'wasm' },
];

const FROM_WORKER: FromWorker[] = [
  {
    type: 'started',
    runId: 'r',
    backend: BACKEND,
    units: ['stem', 'head'],
    progress: PROGRESS,
    resumedFrom: null,
    skipped: [],
    parameterCount: 9,
  },
  { type: 'metrics', runId: 'r', lines: [LINE] },
  { type: 'status', runId: 'r', status: 'paused', progress: PROGRESS },
  { type: 'checkpointed', runId: 'r', step: 3, path: '/runs/r/ckpt-3' },
  // A log or an error may belong to no run.
  { type: 'log', runId: null, level: 'warn', message: 'm' },
  { type: 'error', runId: null, message: 'm', user: false },
  { type: 'done', runId: 'r', status: 'diverged', progress: PROGRESS, divergence: { step: 3, where: 'loss', what: 'loss' }, reason: 'x' },
  { type: 'done', runId: 'r', status: 'interrupted', progress: PROGRESS, lastCheckpoint: null },
  { type: 'probe-progress', requestId: 'q1', message: 'm' },
  {
    type: 'probe-result',
    requestId: 'q1',
    result: { probe: 'variance' } as never,
    backend: { name: 'wasm', device: 'CPU', warnings: ['w'] },
  },
  { type: 'predictions', requestId: 'q4', step: 3, shape: [2, 1], examples: [{ input: [0, 1], target: [], prediction: [0.5] }] },
  { type: 'request-error', requestId: 'q4', message: 'no checkpoint', user: true },
];

describe('engine worker protocol', () => {
  it('carries every message of both directions, versioned, and gives back its body', () => {
    for (const msg of TO_WORKER) {
      const sent = wire(msg);
      expect(sent.v).toBe(PROTOCOL_VERSION);
      expect(parseToWorker(sent)).toEqual(msg);
    }
    for (const msg of FROM_WORKER) expect(parseFromWorker(wire(msg))).toEqual(msg);
  });

  it('tells run commands from requests, and run events from request replies', () => {
    expect(TO_WORKER.filter(isRequest).map((m) => m.type)).toEqual(['probe', 'probe', 'probe', 'predict']);
    expect(FROM_WORKER.filter(isRequestReply).map((m) => m.type)).toEqual([
      'probe-progress',
      'probe-result',
      'predictions',
      'request-error',
    ]);
  });

  it('drops fields the protocol does not know', () => {
    expect(parseToWorker({ ...wire({ type: 'pause', runId: 'r' }), extra: 1 })).toEqual({ type: 'pause', runId: 'r' });
  });

  const v = PROTOCOL_VERSION;
  it.each([
    ['not an object', 'start', /message from the main thread is not an object/],
    ['null', null, /is not an object/],
    ['another version', { v: v + 1, type: 'pause', runId: 'r' }, /has version 2, expected 1/],
    ['no version', { type: 'pause', runId: 'r' }, /has version undefined, expected 1/],
    ['an unknown type', { v, type: 'explode', runId: 'r' }, /unknown message type explode from the main thread/],
    ['a run command without runId', { v, type: 'pause' }, /pause message from the main thread: runId must be a string; got nothing/],
    ['a stop without checkpoint', { v, type: 'stop', runId: 'r' }, /stop message .*: checkpoint must be true or false/],
    ['a probe without requestId', { ...wire(TO_WORKER[5]!), requestId: 7 }, /probe message .*: requestId must be a string; got 7/],
    ['a start without config', { v, type: 'start', runId: 'r', runPath: '/r', backend: 'wasm', resume: false }, /config is not an object/],
    [
      'a start with a config out of range',
      { ...wire(TO_WORKER[0]!), config: { ...CONFIG, batchSize: 1e9 } },
      /start message from the main thread: config is not a valid training config: .*batchSize.* at most 65536/,
    ],
    [
      'a config of the wrong type',
      { ...wire(TO_WORKER[0]!), config: { ...CONFIG, depth: '2' } },
      /config: depth must be 2, as resolveConfig makes it; got "2"/,
    ],
    [
      'a CNN depth that is not 6n+2',
      { ...wire(TO_WORKER[8]!), config: { ...CONFIG, net: 'cnn', depth: 9 } },
      /predict message .*config is not a valid .*6n\+2/,
    ],
    ['a predict without count', { ...wire(TO_WORKER[8]!), count: undefined }, /predict message .*: count must be a number/],
    [
      'an unknown probe',
      { v, type: 'probe', requestId: 'q', request: { probe: 'wobble', options: {} }, backend: 'wasm' },
      /request: probe must be one of variance/,
    ],
    [
      'a probe without options',
      { v, type: 'probe', requestId: 'q', request: { probe: 'variance' }, backend: 'wasm' },
      /request: options is not an object/,
    ],
    [
      'a variance probe with an unknown arch',
      { ...wire(TO_WORKER[5]!), request: { probe: 'variance', options: { ...resolveVarianceOptions({}), archs: ['wide'] } } },
      /options: archs\[0\] must be one of plain/,
    ],
    [
      "a lesion probe whose run's config is bad",
      { ...wire(TO_WORKER[6]!), request: { probe: 'lesion', options: { run: { ...RUN, config: { ...CONFIG, lr: -1 } }, limit: 4 } } },
      /options: run: config is not a valid training config/,
    ],
    ["a worker's message sent to it", wire({ type: 'metrics', runId: 'r', lines: [] }), /unknown message type metrics/],
  ])('refuses, to the worker, %s', (_, msg, error) => {
    expect(() => parseToWorker(msg)).toThrow(error);
  });

  it.each([
    ['an unknown type', wire({ type: 'start', runId: 'r' }), /unknown message type start from the engine worker/],
    ['metrics without lines', wire({ type: 'metrics', runId: 'r' }), /metrics message from the engine worker: lines must be an array/],
    [
      'a metrics line without loss',
      wire({ type: 'metrics', runId: 'r', lines: [{ ...LINE, loss: undefined }] }),
      /lines\[0\]: loss must be a number/,
    ],
    ['predictions without examples', wire({ type: 'predictions', requestId: 'p', step: 1, shape: [1, 1] }), /examples must be an array/],
    [
      'predictions of another shape',
      wire({ type: 'predictions', requestId: 'p', step: 1, shape: [1], examples: [] }),
      /shape must be \[height, width\]/,
    ],
    [
      'a done without runId',
      wire({ type: 'done', status: 'completed', progress: PROGRESS }),
      /done message from the engine worker: runId must be a string/,
    ],
    [
      'a done of a running run',
      wire({ type: 'done', runId: 'r', status: 'running', progress: PROGRESS }),
      /status must be one of interrupted/,
    ],
    ['a started without backend', wire({ ...FROM_WORKER[0]!, backend: undefined }), /started message .*: backend is not an object/],
    [
      'a probe result without requestId',
      wire({ type: 'probe-result', result: { probe: 'variance' }, backend: {} }),
      /probe-result message .*: requestId must be a string/,
    ],
    ['a probe result of no probe', wire({ ...FROM_WORKER[9]!, result: { probe: 'wobble' } }), /result: probe must be one of/],
    ['the old probe-error', wire({ type: 'probe-error', requestId: 'q', message: 'm', user: true }), /unknown message type probe-error/],
  ])('refuses, from the worker, %s', (_, msg, error) => {
    expect(() => parseFromWorker(msg)).toThrow(error);
  });
});
