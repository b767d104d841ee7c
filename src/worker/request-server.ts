/**
 * The engine worker's second job: answering requests (a probe, a prediction) between the training
 * steps of the runs it hosts. Each request is answered by replies carrying its id: progress lines,
 * then one result or one `request-error`.
 */
import { UserError } from '../util/errors.js';
import { loadDataset } from '../data/index.js';
import { Trainer } from '../engine/trainer.js';
import { loadNewestCheckpoint } from '../runs/checkpoint.js';
import { hasConvolutions } from '../contracts/train-config.js';
import { probeIsConvolutional } from '../contracts/probe-options.js';
import type { PredictedExample, WorkerRequest } from '../contracts/engine-protocol.js';
import { runProbeRequest } from './probe-runner.js';
import type { WorkerContext } from './worker-context.js';

export function serveRequest(ctx: WorkerContext, msg: WorkerRequest): void {
  const { requestId } = msg;
  const failed = (err: unknown) =>
    ctx.post({
      type: 'request-error',
      requestId,
      message: err instanceof Error ? err.message : String(err),
      user: err instanceof UserError,
    });
  switch (msg.type) {
    case 'probe': {
      const progress = (message: string) => ctx.post({ type: 'probe-progress', requestId, message });
      const backend = ctx.backend(msg.backend, probeIsConvolutional(msg.request), progress);
      runProbeRequest(msg.request, progress, backend).then((answer) => ctx.post({ type: 'probe-result', requestId, ...answer }), failed);
      return;
    }
    case 'predict':
      predict(ctx, msg).then((answer) => ctx.post({ type: 'predictions', requestId, ...answer }), failed);
      return;
  }
}

/**
 * Loads a run's newest checkpoint into a fresh Trainer (as a resume would) and runs its network on
 * the first validation examples in evaluation mode.
 */
async function predict(
  ctx: WorkerContext,
  msg: Extract<WorkerRequest, { type: 'predict' }>,
): Promise<{ step: number; shape: [number, number]; examples: PredictedExample[] }> {
  await ctx.backend(msg.backend, hasConvolutions(msg.config.net));
  const config = msg.config;
  const count = Math.max(0, Math.floor(msg.count));
  const data = await loadDataset(config.dataset, {
    seed: config.seed,
    ...(config.trainLimit ? { trainLimit: config.trainLimit } : {}),
    valLimit: Math.max(1, Math.min(count, config.valLimit ?? count)),
  });
  const trainer = new Trainer(config, data);
  try {
    const loaded = loadNewestCheckpoint(msg.runPath, config);
    if (!loaded) throw new UserError(`Run folder ${msg.runPath} has no checkpoint to predict with; train it first.`);
    trainer.restore(loaded.state);
    const n = Math.min(count, data.val.n);
    const [h, w] = data.inputShape.length === 3 ? [data.inputShape[0] ?? 1, data.inputShape[1] ?? 1] : [1, data.inputShape[0] ?? 1];
    const size = data.inputShape.reduce((a, b) => a * b, 1);
    const out = await trainer.predictAsync(data.val.x.subarray(0, n * size));
    const per = out.length / Math.max(1, n);
    const pixels = h * w;
    const examples: PredictedExample[] = Array.from({ length: n }, (_, i) => ({
      input: Array.from(data.val.x.subarray(i * size, (i + 1) * size)),
      target: data.task === 'segmentation' ? Array.from(data.val.y.subarray(i * pixels, (i + 1) * pixels)) : [],
      prediction: Array.from(out.subarray(i * per, (i + 1) * per)),
    }));
    return { step: loaded.manifest.step, shape: [h, w], examples };
  } finally {
    trainer.dispose();
  }
}
