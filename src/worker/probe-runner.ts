/**
 * Runs one probe request with the engine's probe functions, in the engine worker (request-server.ts):
 * `resnet-tutor probe` and lesson experiments alike, so a process that already trains there never
 * loads TensorFlow.js in a second thread (tfjs-node allows one per process).
 */
import { UserError } from '../util/errors.js';
import type { BackendChoice } from '../engine/backends/types.js';
import type { ProbeRequest, RunRef } from '../contracts/probe-options.js';
import type { TrainedNet } from '../engine/probes/lesion.js';
import { loadNewestCheckpoint } from '../runs/checkpoint.js';
import type { ProbeAnswer, ProbeResult } from '../contracts/probe-protocol.js';

export async function runProbeRequest(
  request: ProbeRequest,
  progress: (message: string) => void,
  backend: Promise<BackendChoice>,
): Promise<ProbeAnswer> {
  const choice = await backend;
  const used = { name: choice.name, device: choice.device, warnings: choice.warnings };
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
        {
          model: o.model,
          seed: o.seed,
          trained: o.run ? trainedNet(o.run, progress) : null,
          dataset: o.dataset,
          batchSize: o.batchSize,
          samples: o.samples,
        },
        progress,
      );
      break;
    }
    case 'lesion': {
      const { runLesion } = await import('../engine/probes/lesion.js');
      result = await runLesion({ net: trainedNet(request.options.run, progress), limit: request.options.limit }, progress);
      break;
    }
    case 'bn-scale': {
      const { runBnScale } = await import('../engine/probes/bn-scale.js');
      result = runBnScale(trainedNet(request.options.run, progress));
      break;
    }
  }
  return { result, backend: used };
}

/** The run's weights from its newest intact checkpoint. */
function trainedNet(run: RunRef, progress: (message: string) => void): TrainedNet {
  const loaded = loadNewestCheckpoint(run.path, run.config);
  if (!loaded) {
    throw new UserError(
      `Run ${run.id} has no checkpoint yet, so there are no trained weights to probe. Continue it with \`resnet-tutor resume ${run.id}\`, or train one with \`resnet-tutor train\`.`,
    );
  }
  for (const s of loaded.skipped) progress(`skipped damaged checkpoint ${s}`);
  return { runId: run.id, config: run.config, step: loaded.manifest.step, tensors: loaded.state.tensors };
}
