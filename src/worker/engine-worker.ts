/**
 * The engine worker: the only thread that loads TensorFlow.js. One long-lived worker hosts every run
 * of the process and interleaves their steps (hosted-runs.ts), and answers probe and prediction
 * requests between them (request-server.ts), because tfjs-node can be loaded by only one thread per
 * process ("Module did not self-register") and TensorFlow wants the whole GPU; runs on one backend
 * in one thread also share its memory. This file receives and checks the messages and hands each to
 * its job.
 */
import { parentPort } from 'node:worker_threads';
import { format } from 'node:util';
import { initBackend } from '../engine/backend.js';
import type { BackendChoice, BackendRequest } from '../engine/backends/types.js';
import { isRequest, parseToWorker, requestIdOf, wire, type FromWorker, type ToWorker } from '../contracts/engine-protocol.js';
import { hostRuns } from './hosted-runs.js';
import { serveRequest } from './request-server.js';
import type { WorkerContext } from './worker-context.js';

if (!parentPort) throw new Error('engine-worker.ts must run in a worker thread');
const port = parentPort;

let backend: Promise<BackendChoice> | null = null;
const ctx: WorkerContext = {
  post: (msg: FromWorker) => port.postMessage(wire(msg)),
  // One backend for the worker's life: the first run or request chooses it.
  backend: (request, convolutional, onStatus) =>
    (backend ??= initBackend(request as BackendRequest, { convolutional, ...(onStatus ? { onStatus } : {}) })),
};

// Nothing in the worker may write to the terminal directly (the dashboard owns it): route console
// output through the protocol.
for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
  console[level] = (...args: unknown[]) =>
    ctx.post({ type: 'log', runId: null, level: level === 'warn' || level === 'error' ? 'warn' : 'info', message: format(...args) });
}

const runs = hostRuns(ctx);

port.on('message', (raw: unknown) => {
  let msg: ToWorker;
  try {
    msg = parseToWorker(raw);
  } catch (err) {
    // A malformed request is still answered, so its asker does not wait for ever.
    const message = (err as Error).message;
    const requestId = requestIdOf(raw);
    ctx.post(
      requestId === null
        ? { type: 'error', runId: null, message, user: false }
        : { type: 'request-error', requestId, message, user: false },
    );
    return;
  }
  if (isRequest(msg)) serveRequest(ctx, msg);
  else runs.command(msg);
});
