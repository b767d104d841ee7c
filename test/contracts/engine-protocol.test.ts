import { describe, expect, it } from 'vitest';
import { parseProbeFromWorker, parseProbeToWorker } from '../../src/contracts/probe-protocol.js';
import { parseFromWorker, parseToWorker, PROTOCOL_VERSION } from '../../src/contracts/engine-protocol.js';

const PROGRESS = { step: 0, totalSteps: 10, stepsPerEpoch: 5, epoch: 0 };

describe('engine worker protocol', () => {
  it('passes well-formed messages through unchanged, both ways', () => {
    const start = { v: PROTOCOL_VERSION, type: 'start', runId: 'r', runPath: '/runs/r', config: {}, backend: 'wasm', resume: false };
    expect(parseToWorker(start)).toBe(start);
    for (const msg of [
      { v: 1, type: 'pause', runId: 'r' },
      { v: 1, type: 'stop', runId: 'r', checkpoint: true },
      { v: 1, type: 'probe', requestId: 'probe-1', request: { probe: 'variance', options: {} }, backend: 'wasm' },
      { v: 1, type: 'predict', requestId: 'predict-1', runPath: '/runs/r', config: {}, count: 4, backend: 'wasm' },
    ]) {
      expect(parseToWorker(msg)).toBe(msg);
    }
    for (const msg of [
      { v: 1, type: 'metrics', runId: 'r', lines: [] },
      { v: 1, type: 'done', runId: 'r', status: 'completed', progress: PROGRESS },
      // A log or an error may belong to no run.
      { v: 1, type: 'log', runId: null, level: 'warn', message: 'm' },
      { v: 1, type: 'error', runId: null, message: 'm', user: false },
      { v: 1, type: 'probe-progress', requestId: 'probe-1', message: 'm' },
      { v: 1, type: 'predictions', requestId: 'predict-1', step: 3, shape: [4, 4], examples: [] },
    ]) {
      expect(parseFromWorker(msg)).toBe(msg);
    }
  });

  it.each([
    ['not an object', 'start', /from the main thread is not an object/],
    ['null', null, /is not an object/],
    ['another version', { v: 2, type: 'pause', runId: 'r' }, /has version 2, expected 1/],
    ['no version', { type: 'pause', runId: 'r' }, /has version undefined, expected 1/],
    ['an unknown type', { v: 1, type: 'explode', runId: 'r' }, /unknown message type explode from the main thread/],
    ['a run message without runId', { v: 1, type: 'pause' }, /pause message from the main thread has no runId/],
    ['a probe without requestId', { v: 1, type: 'probe', request: {}, backend: 'wasm' }, /probe message .* has no requestId/],
    [
      'a start without config',
      { v: 1, type: 'start', runId: 'r', runPath: '/r', backend: 'wasm' },
      /start message needs runPath, config and backend/,
    ],
    [
      'a predict without count',
      { v: 1, type: 'predict', requestId: 'p', runPath: '/r', config: {}, backend: 'wasm' },
      /predict message needs/,
    ],
    ["a worker's message sent to it", { v: 1, type: 'metrics', runId: 'r', lines: [] }, /unknown message type metrics/],
  ])('refuses, to the worker, %s', (_, msg, error) => {
    expect(() => parseToWorker(msg)).toThrow(error);
  });

  it.each([
    ['an unknown type', { v: 1, type: 'start', runId: 'r' }, /unknown message type start from the engine worker/],
    ['metrics without lines', { v: 1, type: 'metrics', runId: 'r' }, /metrics message needs lines/],
    [
      'predictions without examples',
      { v: 1, type: 'predictions', requestId: 'p', step: 1, shape: [1, 1] },
      /predictions message needs examples/,
    ],
    [
      'a done without runId',
      { v: 1, type: 'done', status: 'completed', progress: PROGRESS },
      /done message from the engine worker has no runId/,
    ],
    [
      'a probe result without requestId',
      { v: 1, type: 'probe-result', result: {}, backend: {} },
      /probe-result message .* has no requestId/,
    ],
  ])('refuses, from the worker, %s', (_, msg, error) => {
    expect(() => parseFromWorker(msg)).toThrow(error);
  });
});

describe('probe worker protocol', () => {
  it('passes a request for a known probe with options, and each well-formed reply', () => {
    const request = { v: 1, probe: 'lesion', options: { run: '/runs/r' } };
    expect(parseProbeToWorker(request)).toBe(request);
    for (const msg of [
      { v: 1, type: 'progress', message: 'block 1 of 4' },
      { v: 1, type: 'error', message: 'no checkpoint', user: true },
      { v: 1, type: 'result', result: { probe: 'variance' }, backend: { name: 'wasm', device: 'CPU', warnings: [] } },
    ]) {
      expect(parseProbeFromWorker(msg)).toBe(msg);
    }
  });

  it.each([
    ['an unknown probe', { v: 1, probe: 'wobble', options: {} }, /unknown probe wobble from the main thread/],
    ['no options', { v: 1, probe: 'variance' }, /request without options/],
    ['another version', { v: 0, probe: 'variance', options: {} }, /has version 0, expected 1/],
  ])('refuses a request with %s', (_, msg, error) => {
    expect(() => parseProbeToWorker(msg)).toThrow(error);
  });

  it.each([
    ['a progress without message', { v: 1, type: 'progress' }, /malformed progress message from the probe worker/],
    ['a result without backend', { v: 1, type: 'result', result: {} }, /malformed result message/],
    ['a result without result', { v: 1, type: 'result', backend: {} }, /malformed result message/],
    ['an unknown type', { v: 1, type: 'started' }, /malformed started message/],
    ['not an object', 42, /from the probe worker is not an object/],
  ])('refuses a reply with %s', (_, msg, error) => {
    expect(() => parseProbeFromWorker(msg)).toThrow(error);
  });
});
