import type { BnScaleResult } from './probe-results.js';
import type { LesionResult } from './probe-results.js';
import type { ProbeName, ProbeRequest } from './probe-options.js';
import type { PathsResult } from './probe-results.js';
import type { ShatterResult } from './probe-results.js';
import type { VarianceResult } from './probe-results.js';

/**
 * Messages between the main thread and the probe worker (src/worker/probe-worker.ts): one request,
 * then progress lines and one result or error. Versioned and checked on receipt, like protocol.ts.
 */
export const PROBE_PROTOCOL_VERSION = 1;

export type ProbeResult = VarianceResult | ShatterResult | PathsResult | LesionResult | BnScaleResult;

export type ProbeToWorker = { readonly v: 1 } & ProbeRequest;

/** Which backend computed the result, for the header line. */
export interface ProbeBackend {
  readonly name: string;
  readonly device: string;
  readonly warnings: readonly string[];
}

export type ProbeFromWorker =
  | { readonly v: 1; readonly type: 'progress'; readonly message: string }
  | { readonly v: 1; readonly type: 'result'; readonly result: ProbeResult; readonly backend: ProbeBackend }
  | {
      readonly v: 1;
      readonly type: 'error';
      readonly message: string;
      /** A user error (bad option, unusable checkpoint) rather than a bug. */
      readonly user: boolean;
    };

const PROBES: readonly ProbeName[] = ['variance', 'shatter', 'paths', 'lesion', 'bn-scale'];

export function parseProbeToWorker(msg: unknown): ProbeToWorker {
  const m = object(msg, 'main thread');
  if (typeof m.probe !== 'string' || !(PROBES as readonly string[]).includes(m.probe)) {
    throw new Error(`probe protocol: unknown probe ${String(m.probe)} from the main thread`);
  }
  if (typeof m.options !== 'object' || m.options === null) throw new Error('probe protocol: request without options');
  return msg as ProbeToWorker;
}

export function parseProbeFromWorker(msg: unknown): ProbeFromWorker {
  const m = object(msg, 'probe worker');
  if (m.type === 'progress' && typeof m.message === 'string') return msg as ProbeFromWorker;
  if (m.type === 'error' && typeof m.message === 'string') return msg as ProbeFromWorker;
  if (m.type === 'result' && typeof m.result === 'object' && m.result !== null && typeof m.backend === 'object')
    return msg as ProbeFromWorker;
  throw new Error(`probe protocol: malformed ${String(m.type)} message from the probe worker`);
}

function object(msg: unknown, from: string): Record<string, unknown> {
  if (typeof msg !== 'object' || msg === null) throw new Error(`probe protocol: message from the ${from} is not an object`);
  const m = msg as Record<string, unknown>;
  if (m.v !== PROBE_PROTOCOL_VERSION) {
    throw new Error(`probe protocol: message from the ${from} has version ${String(m.v)}, expected ${PROBE_PROTOCOL_VERSION}`);
  }
  return m;
}
