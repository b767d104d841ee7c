import type { BnScaleResult, LesionResult, PathsResult, ShatterResult, VarianceResult } from './probe-results.js';
import { PROBE_NAMES, type ProbeRequest } from './probe-options.js';
import { ARCHS, BLOCK_ORDERS, NETS } from './train-config.js';
import { DATASET_NAMES } from '../data/index.js';
import { Fields, member, readConfig } from './protocol-check.js';

/**
 * The probe part of the engine worker protocol (engine-protocol.ts): the request the main thread sends
 * (a `ProbeRequest`, checked by `readProbeRequest` on receipt) and what it is answered with.
 */
export type ProbeResult = VarianceResult | ShatterResult | PathsResult | LesionResult | BnScaleResult;

/** Which backend computed the result, for the header line. */
export interface ProbeBackend {
  readonly name: string;
  readonly device: string;
  readonly warnings: readonly string[];
}

export interface ProbeAnswer {
  readonly result: ProbeResult;
  readonly backend: ProbeBackend;
}

/**
 * A probe request received by the worker. The main thread built it with the resolvers of
 * probe-options.ts, which check ranges and combinations with the flag's name in the error; here every
 * field is checked for its type and its set of values, and every config (the run's, the paths probe's
 * model) by `readConfig`. Returns the request received.
 */
export function readProbeRequest(value: unknown, what: string): ProbeRequest {
  const r = Fields.of(value, what);
  const probe = r.oneOf('probe', PROBE_NAMES);
  const o = r.object('options');
  if (o.has('backend')) o.string('backend');
  const runRef = (f: Fields) => {
    f.string('id');
    f.string('path');
    readConfig(f.get('config'), `${f.what}: config`);
  };
  switch (probe) {
    case 'variance':
      o.oneOf('net', NETS);
      o.array('archs', member(ARCHS));
      for (const k of ['depth', 'width', 'seed', 'batchSize', 'repeats']) o.number(k);
      o.oneOf('blockOrder', BLOCK_ORDERS);
      o.oneOf('dataset', DATASET_NAMES);
      break;
    case 'shatter':
      for (const k of ['depth', 'width', 'seed', 'points', 'inputBias', 'bias']) o.number(k);
      o.oneOf('blockOrder', BLOCK_ORDERS);
      o.nullableNumber('spacing');
      break;
    case 'paths':
      readConfig(o.get('model'), `${o.what}: model`);
      if (o.get('run') !== null) runRef(o.object('run'));
      for (const k of ['seed', 'batchSize', 'samples']) o.number(k);
      o.oneOf('dataset', DATASET_NAMES);
      break;
    case 'lesion':
      runRef(o.object('run'));
      o.nullableNumber('limit');
      break;
    case 'bn-scale':
      runRef(o.object('run'));
      break;
  }
  return value as ProbeRequest;
}

/**
 * A probe's answer received from the worker (the `result` and `backend` fields of `msg`): the backend
 * in full, the result by its `probe` name. The result's own fields are not checked one by one: it is
 * plain data that the renderer and the lessons only read, made by the same build (the protocol version
 * says so), and its schema is five nested interfaces (probe-results.ts) that a checker would repeat.
 */
export function readProbeAnswer(msg: Fields): ProbeAnswer {
  const result = msg.object('result');
  result.oneOf('probe', PROBE_NAMES);
  const backend = msg.object('backend');
  return {
    result: result.value as unknown as ProbeResult,
    backend: { name: backend.string('name'), device: backend.string('device'), warnings: backend.strings('warnings') },
  };
}
