import type { TrainerState } from '../../src/contracts/run-folder.js';

/** A small trainer state whose every number depends on `step`, for checkpoint round trips. */
export function trainerState(step: number): TrainerState {
  return {
    step,
    optimizerSteps: step,
    interval: { lossSum: step * 0.5, accuracySum: 0.25, count: 1 },
    tensors: {
      'param/stem/w': { shape: [2, 4], values: Float32Array.from({ length: 8 }, (_, i) => i + step) },
      'slot/stem/w/velocity': { shape: [2, 4], values: new Float32Array(8).fill(step) },
    },
  };
}
