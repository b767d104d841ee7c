/**
 * What a finished lesson experiment produced, as the tutor keeps it: the measured numbers with their
 * units, the verdict on the lesson's prediction, and the raw results that chart steps draw and that a
 * reopened lesson shows again. Saved in the progress file, so plain data only (no tensors, no
 * classes). No tfjs here: the tutor runs on the main thread (type-only imports below).
 */
import type { ProbeName } from './probe-options.js';
import type { MetricsLine } from './run-folder.js';
import type { RunStatus } from './run-folder.js';
import type { ProbeResult } from './probe-protocol.js';

/** One number an experiment reports for its `measure:`, per run label, over every seed it ran. */
export interface Measurement {
  /** The run's label ("depth 20", "arch residual-bn"), or a probe's series label ("residual"); '' for a single result. */
  readonly label: string;
  /** The mean over `perSeed` (NaN when no seed produced a number, e.g. every run diverged). */
  readonly value: number;
  /** Each seed's value, in seed order; one entry when the experiment runs one seed. NaN for a seed that produced none. */
  readonly perSeed: readonly number[];
  /** The unit as the student reads it: "nats", "%", "x per block", "per block (added)", "samples/s", "" for a pure number. */
  readonly unit: string;
}

/** The tutor's judgement of a prediction, computed from the measurements (never left to the student). */
export interface Verdict {
  /** `held`: the declared check held; `not-held`: it did not; `undecided`: a run diverged or a number is missing. */
  readonly outcome: 'held' | 'not-held' | 'undecided';
  /** One sentence, e.g. "Held in your run: depth 20 ended higher (1.23 nats) than depth 2 (0.45 nats), in 3 of 3 seeds." */
  readonly headline: string;
  /** The numbers compared, each with its unit; for a diverged run the step and the block. */
  readonly details: readonly string[];
  /** When the outcome is not `held`: why that can happen in a short run (a sentence); '' otherwise. */
  readonly caveat: string;
}

/** Where a run stopped making finite numbers (a NaN or Inf loss or gradient). */
export interface DivergenceInfo {
  readonly step: number;
  /** The unit name where it was seen first ("block3"), or '' when not known. */
  readonly block: string;
}

export interface TrainRunResult {
  readonly label: string;
  readonly seed: number;
  readonly runId: string;
  readonly status: RunStatus;
  readonly lines: readonly MetricsLine[];
  readonly divergence?: DivergenceInfo;
}

export interface ProbeRunResult {
  readonly label: string;
  readonly seed: number;
  readonly result: ProbeResult;
}

/** The raw results of one experiment, for chart steps (`experiment: <id>`) and for reopening a lesson. */
export type ExperimentResults =
  | { readonly kind: 'train'; readonly runs: readonly TrainRunResult[] }
  | { readonly kind: 'probe'; readonly probe: ProbeName; readonly runs: readonly ProbeRunResult[] };
