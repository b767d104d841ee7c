/**
 * The probe worker: loads TensorFlow.js, runs one probe and posts its result. One request per worker;
 * the main thread ends it after the answer. Run checkpoints are read here (not in the engine), so the
 * engine's probe functions take plain tensors.
 */
import { parentPort } from 'node:worker_threads';
import { format } from 'node:util';
import { UserError } from '../errors.js';
import { initBackend, type BackendRequest } from '../engine/backend.js';
import type { RunRef } from '../engine/probes/options.js';
import type { TrainedNet } from '../engine/probes/lesion.js';
import { loadNewestCheckpoint } from '../runs/checkpoint.js';
import { parseProbeToWorker, type ProbeFromWorker, type ProbeResult, type ProbeToWorker } from './probe-protocol.js';

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
  run(request).then(
    (answer) => post({ v: 1, type: 'result', ...answer }),
    (err: unknown) => post({ v: 1, type: 'error', message: err instanceof Error ? err.message : String(err), user: err instanceof UserError }),
  );
});

async function run(request: ProbeToWorker): Promise<Pick<Extract<ProbeFromWorker, { type: 'result' }>, 'result' | 'backend'>> {
  const choice = await initBackend((request.options.backend ?? 'auto') as BackendRequest, { onStatus: progress });
  const backend = { name: choice.name, device: choice.device, warnings: choice.warnings };
  let result: ProbeResult;
  switch (request.probe) {
    case 'variance': {
      const { runVariance } = await import('../engine/probes/variance.js');
      result = await runVariance(request.options, progress);
      break;
    }
    case 'shatter': {
      const { runShatter } = await import('../engine/probes/shatter.js');
      result = await runShatter(request.options, progress);
      break;
    }
    case 'paths': {
      const { runPaths } = await import('../engine/probes/paths.js');
      const o = request.options;
      result = await runPaths(
        { model: o.model, seed: o.seed, trained: o.run ? trainedNet(o.run) : null, dataset: o.dataset, batchSize: o.batchSize, samples: o.samples },
        progress,
      );
      break;
    }
    case 'lesion': {
      const { runLesion } = await import('../engine/probes/lesion.js');
      result = await runLesion({ net: trainedNet(request.options.run), limit: request.options.limit }, progress);
      break;
    }
  }
  return { result, backend };
}

/** The run's weights from its newest intact checkpoint. */
function trainedNet(run: RunRef): TrainedNet {
  const loaded = loadNewestCheckpoint(run.path, run.config);
  if (!loaded) {
    throw new UserError(
      `Run ${run.id} has no checkpoint yet, so there are no trained weights to probe. Continue it with \`resnet-tutor resume ${run.id}\`, or train one with \`resnet-tutor train\`.`,
    );
  }
  for (const s of loaded.skipped) progress(`skipped damaged checkpoint ${s}`);
  return { runId: run.id, config: run.config, step: loaded.manifest.step, tensors: loaded.state.tensors };
}
