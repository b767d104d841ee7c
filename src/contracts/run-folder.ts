/**
 * The run-folder contract's records (docs/run-folder.md) that cross layers: the engine writes them, the
 * run folders store them, the dashboard, the tutor and `watch` read them. Types only, no tfjs.
 */

/** One line of metrics.jsonl (docs/run-folder.md, the run-folder contract). */
export interface MetricsLine {
  /** Written by appendMetrics, never by the trainer; absent in older files (version 1). */
  readonly formatVersion?: number;
  readonly step: number;
  readonly epoch: number;
  /** Mean training loss over the steps since the previous line. */
  readonly loss: number;
  /** Mean training accuracy over the same steps (classification; pixel accuracy for segmentation). */
  readonly accuracy?: number;
  readonly lr: number;
  /** L2 norm of the gradient of each unit's parameters (stem, blocks, head), input side first. */
  readonly gradNorms: number[];
  /** Variance of each unit's output on this step's batch, input side first. */
  readonly activationVariances: number[];
  readonly samplesPerSecond: number;
  readonly time: string;
  readonly valLoss?: number;
  readonly valAccuracy?: number;
}

/** Why a run stopped as `diverged`: the lecture's exploding activations and gradients, made visible. */
export interface Divergence {
  readonly step: number;
  /** Where the first non-finite value appeared: a unit name ("block7"), or "loss". */
  readonly where: string;
  readonly what: 'activation' | 'gradient' | 'weights' | 'loss';
}

/** A run's state in run.json. */
export type RunStatus = 'running' | 'interrupted' | 'completed' | 'failed' | 'diverged';

/** Which backend a run trained on, and what was tried first. */
export interface BackendSummary {
  readonly name: string;
  readonly device: string;
  readonly usingGpu: boolean;
  readonly attempts: readonly { name: string; ok: boolean; reason?: string; fix?: string }[];
  readonly warnings: readonly string[];
}

/** What a checkpoint must hold to continue exactly: tensors by name plus these counters. */
export interface TrainerState {
  readonly step: number;
  readonly optimizerSteps: number;
  /** Running sums of the metrics interval in progress, so a resumed run logs the same means. */
  readonly interval: { readonly lossSum: number; readonly accuracySum: number; readonly count: number };
  readonly tensors: Record<string, { shape: number[]; values: Float32Array }>;
}
