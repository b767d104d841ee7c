/**
 * The probe worker: loads TensorFlow.js, runs one probe and posts its result. One request per worker;
 * the main thread ends it after the answer. Run checkpoints are read here (not in the engine), so the
 * engine's probe functions take plain tensors.
 */
import { parentPort } from 'node:worker_threads';
import { format } from 'node:util';
import { UserError } from '../util/errors.js';
import { parseProbeToWorker, type ProbeFromWorker, type ProbeToWorker } from '../contracts/probe-protocol.js';
import { runProbeRequest } from './probe-runner.js';

if (!parentPort) throw new Error('probe-worker.ts must run in a worker thread');
const port = parentPort;

const post = (msg: ProbeFromWorker): void => port.postMessage(msg);
const progress = (message: string): void => post({ v: 1, type: 'progress', message });

// Nothing here may write to the terminal directly: route console output through the protocol.
for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
  console[level] = (...args: unknown[]) => progress(format(...args));
}

port.once('message', (raw: unknown) => {
  let request: ProbeToWorker;
  try {
    request = parseProbeToWorker(raw);
  } catch (err) {
    post({ v: 1, type: 'error', message: (err as Error).message, user: false });
    return;
  }
  runProbeRequest(request, progress).then(
    (answer) => post({ v: 1, type: 'result', ...answer }),
    (err: unknown) =>
      post({ v: 1, type: 'error', message: err instanceof Error ? err.message : String(err), user: err instanceof UserError }),
  );
});
