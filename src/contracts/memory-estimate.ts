/**
 * A lower bound on the memory a training configuration needs, computed from the config alone (no
 * tfjs), so that `train` and `compare` can refuse, before a run folder exists, a model that cannot
 * fit: without it `--depth 1202 --width 4096` was accepted and failed minutes later, deep inside
 * wasm, with "memory access out of bounds".
 *
 * Only the big terms are counted: the weight matrices (biases, BatchNorm and the classifier are left
 * out), each held as weights, gradients and the optimiser's slots, plus the activations that the
 * backward pass keeps for one batch. Being a lower bound, it never refuses a model that fits; a model
 * just under the limit may still fail later.
 */
import type { DatasetInfo } from '../data/index.js';
import type { TrainConfig } from './train-config.js';

const BYTES = 4; // float32

export interface MemoryEstimate {
  readonly parameters: number;
  readonly bytes: number;
}

export function estimateTrainingMemory(c: TrainConfig, data: Pick<DatasetInfo, 'inputShape'>): MemoryEstimate {
  const [h = 1, w = 1, ch = 1] = data.inputShape;
  const inputs = h * w * ch;
  let parameters = 0;
  let activations = 0; // values per example kept for the backward pass
  if (c.net === 'mlp') {
    parameters = inputs * c.width + c.depth * 2 * c.width * c.width;
    activations = c.depth * 2 * c.width;
  } else if (c.net === 'cnn' && c.arch !== 'densenet') {
    // As models/model.ts builds it: three stages of n blocks at widths w, 2w, 4w (a bottleneck block
    // widens its output to 4x), on maps of h x w, h/2 x w/2, h/4 x w/4. Shortcuts are not counted.
    const bottleneck = c.block === 'bottleneck';
    const n = Math.max(0, (c.depth - 2) / (bottleneck ? 9 : 6));
    let channels = c.width;
    for (let stage = 0; stage < 3; stage++) {
      const mid = c.width * 2 ** stage;
      const out = bottleneck ? 4 * mid : mid;
      const area = (h >> stage) * (w >> stage);
      for (let i = 0; i < n; i++) {
        parameters += bottleneck ? channels * mid + 9 * mid * mid + mid * out : 9 * channels * out + 9 * out * out;
        activations += area * (bottleneck ? 2 * mid + out : 2 * out);
        channels = out;
      }
    }
  }
  const slots = c.optimizer === 'adam' ? 2 : c.optimizer === 'sgd' ? 0 : 1;
  const bytes = BYTES * (parameters * (2 + slots) + activations * c.batchSize);
  return { parameters, bytes };
}

/** "4.2 GiB" */
export function formatBytes(bytes: number): string {
  const gib = bytes / 2 ** 30;
  return gib >= 1 ? `${gib >= 100 ? gib.toFixed(0) : gib.toFixed(1)} GiB` : `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}
