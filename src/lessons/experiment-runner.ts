import { join } from 'node:path';
import { UserError } from '../errors.js';
import { hasConvolutions, resolveConfig } from '../engine/config.js';
import { probeIsConvolutional } from '../engine/probes/options.js';
import type { MetricsLine } from '../engine/trainer.js';
import { TRAIN_FIELDS } from './check.js';
import { resolveProbeRequest } from '../probes/host.js';
import { renderProbe } from '../probes/render.js';
import { createRunDir, type RunStatus } from '../runs/run-dir.js';
import { packageVersion } from '../version.js';
import type { EngineHost } from '../worker/engine-host.js';
import type { ProbeResult } from '../worker/probe-protocol.js';
import type { PredictedExample } from '../worker/protocol.js';
import type { ExperimentResults, Measurement, Verdict } from './results.js';
import type { Experiment, Measure, ProbeRun, TrainRun } from './types.js';

/**
 * Runs a lesson's experiment for real: training runs in the engine worker (their run folders go to
 * `<runRoot>/lessons`, so `runs`, `report` and `resume` see them), probes in the probe worker. It
 * reports progress through `onUpdate` and ends with the measured numbers the lesson compares with
 * the lecture's prediction.
 */
export interface RunnerUpdate {
  readonly message?: string;
  readonly probeText?: string;
  readonly runs?: readonly { id: string; label: string; lines: readonly MetricsLine[]; totalSteps: number; status: string }[];
  readonly runUpdate?: { id: string; lines?: readonly MetricsLine[]; totalSteps?: number; status?: string };
  /** `show: segmentation`: each run's predictions on the same few validation images, after training. */
  readonly predictions?: readonly RunPredictions[];
}

/** One run's network on the first validation examples (input, target mask, predicted probabilities). */
export interface RunPredictions {
  readonly label: string;
  readonly shape: readonly [number, number];
  readonly examples: readonly PredictedExample[];
}

/** How many validation images `show: segmentation` draws per run. */
export const SHOWN_EXAMPLES = 3;

export interface ExperimentOutcome {
  readonly measured: { label: string; value: number }[];
  readonly runIds: string[];
  readonly skipped: boolean;
  /** Present for `show: segmentation`. */
  readonly predictions?: readonly RunPredictions[];
  /** The measured numbers with units and per-seed values (src/lessons/results.ts). */
  readonly measurements?: readonly Measurement[];
  /** The verdict on the prediction, computed from `measurements` by the experiment's `check:`. */
  readonly verdict?: Verdict;
  /** Raw results for chart steps and for reopening the lesson. */
  readonly results?: ExperimentResults;
}

export class ExperimentRunner {
  private active: string[] = [];
  private skipped = false;

  constructor(
    /** The engine worker; `convolutional` says what the work about to start needs (see run-tutor). */
    private readonly host: (convolutional?: boolean) => EngineHost,
    private readonly runRoot: string,
    private readonly backend: string,
  ) {}

  async run(experiment: Experiment, full: boolean, onUpdate: (u: RunnerUpdate) => void): Promise<ExperimentOutcome> {
    this.skipped = false;
    if (experiment.kind === 'train') {
      const variant = full && experiment.full ? experiment.full : experiment.quick;
      const finals = await this.train(variant.runs, onUpdate);
      const measured = finals.map((f) => ({ label: f.label, value: trainMeasure(experiment.measure, f.lines) }));
      const runIds = finals.map((f) => f.id);
      if (experiment.show !== 'segmentation' || this.skipped) return { measured, runIds, skipped: this.skipped };
      onUpdate({ message: 'drawing the networks\' masks on validation images…' });
      const predictions: RunPredictions[] = [];
      for (const [i, f] of finals.entries()) {
        const p = await this.host().predict(f.path, variant.runs[i].config, SHOWN_EXAMPLES, this.backend);
        predictions.push({ label: f.label, shape: p.shape, examples: p.examples });
      }
      onUpdate({ predictions });
      return { measured, runIds, skipped: this.skipped, predictions };
    }
    const variant = full && experiment.full ? experiment.full : experiment.quick;
    const measured: { label: string; value: number }[] = [];
    const texts: string[] = [];
    const runIds: string[] = [];
    for (const run of variant.runs) {
      if (this.skipped) break;
      let runName: string | undefined;
      if (experiment.probe === 'lesion' || experiment.probe === 'bn-scale' || (experiment.probe === 'paths' && run.options.train !== undefined)) {
        // These probes read a trained network: train it first, as the lesson describes.
        const [trained] = await this.train([{ label: run.label, config: trainConfigOf(run) }], onUpdate);
        if (this.skipped) break;
        runName = trained.path;
        runIds.push(trained.id);
      }
      onUpdate({ message: `running probe ${experiment.probe}${run.label ? ` (${run.label})` : ''}…` });
      const request = resolveProbeRequest(experiment.probe, runName, join(this.runRoot, 'lessons'), probeOptions(run, runName !== undefined));
      // In the engine worker, like the training runs: one tfjs thread per process (tfjs-node).
      const { result } = await this.host(probeIsConvolutional(request)).probe(request, this.backend, (m) => onUpdate({ message: m }));
      texts.push(renderProbe(result, { width: 100, color: false } as never));
      onUpdate({ probeText: texts.join('\n') });
      for (const m of probeMeasures(result, experiment.measure)) measured.push({ label: run.label ? `${run.label} ${m.label}`.trim() : m.label, value: m.value });
    }
    return { measured, runIds, skipped: this.skipped };
  }

  pause(): void {
    for (const id of this.active) this.host().send({ v: 1, type: 'pause', runId: id });
  }

  resume(): void {
    for (const id of this.active) this.host().send({ v: 1, type: 'resume', runId: id });
  }

  /** Stops the runs with a checkpoint (they stay resumable) and ends the experiment. */
  skip(): void {
    this.skipped = true;
    for (const id of this.active) this.host().send({ v: 1, type: 'stop', runId: id, checkpoint: true });
  }

  private async train(
    runs: readonly TrainRun[],
    onUpdate: (u: RunnerUpdate) => void,
  ): Promise<{ id: string; path: string; label: string; lines: MetricsLine[]; status: RunStatus }[]> {
    const host = this.host(runs.some((r) => hasConvolutions(r.config.net)));
    const started = runs.map((r) => {
      const { id, path } = createRunDir(join(this.runRoot, 'lessons'), r.config, { resnetTutor: packageVersion() });
      return { id, path, label: r.label, lines: [] as MetricsLine[], status: 'running' as RunStatus };
    });
    this.active = started.map((s) => s.id);
    onUpdate({ runs: started.map((s) => ({ id: s.id, label: s.label, lines: [], totalSteps: 0, status: 'starting' })) });
    const byId = new Map(started.map((s) => [s.id, s]));
    await new Promise<void>((resolve, reject) => {
      let remaining = started.length;
      const off = host.on((e) => {
        const runId = 'runId' in e ? e.runId : null;
        if (e.type === 'log' && runId === null) onUpdate({ message: e.message });
        if (!runId || !byId.has(runId)) return;
        const run = byId.get(runId)!;
        switch (e.type) {
          case 'started':
            onUpdate({ runUpdate: { id: runId, totalSteps: e.progress.totalSteps, status: 'running' }, message: `training on ${e.backend.device}` });
            break;
          case 'metrics':
            run.lines.push(...e.lines);
            onUpdate({ runUpdate: { id: runId, lines: e.lines } });
            break;
          case 'log':
            onUpdate({ message: e.message });
            break;
          case 'status':
            onUpdate({ runUpdate: { id: runId, status: e.status } });
            break;
          case 'error':
            if (e.user) onUpdate({ message: e.message });
            break;
          case 'done':
            run.status = e.status;
            onUpdate({ runUpdate: { id: runId, status: e.status } });
            if (e.status === 'failed') {
              off();
              reject(new UserError(`The experiment's run ${run.label || runId} failed: ${e.reason ?? 'unknown reason'}`));
              return;
            }
            remaining -= 1;
            if (remaining === 0) {
              off();
              resolve();
            }
            break;
          default:
            break;
        }
      });
      for (const s of started) host.start(s.id, s.path, runs[started.indexOf(s)].config, this.backend, false);
    });
    this.active = [];
    return started;
  }
}

/** The number a training run reports for a lesson's `measure`. */
export function trainMeasure(measure: Measure, lines: readonly MetricsLine[]): number {
  const last = lines[lines.length - 1];
  if (!last) return NaN;
  const val = [...lines].reverse().find((l) => l.valLoss !== undefined);
  switch (measure) {
    case 'final train loss':
      return last.loss;
    case 'final train accuracy':
      return last.accuracy ?? NaN;
    case 'val loss':
      return val?.valLoss ?? NaN;
    case 'val accuracy':
      return val?.valAccuracy ?? NaN;
    case 'samples per second':
      return last.samplesPerSecond;
    default:
      return last.loss;
  }
}

/** The numbers a probe result reports for a lesson's `measure`, one per net or architecture. */
export function probeMeasures(result: ProbeResult, measure: Measure): { label: string; value: number }[] {
  const n = (v: number | null | undefined) => (v === null || v === undefined ? NaN : v);
  switch (result.probe) {
    case 'variance':
      return result.series.map((s) => ({
        label: s.label,
        value: measure === 'final variance' ? n(s.meanSquare[s.meanSquare.length - 1]) : s.fit.law === 'linear' ? n(s.fit.slope) : n(s.fit.ratio),
      }));
    case 'shatter':
      return result.nets.map((net) => ({ label: net.label, value: measure === 'correlation length' ? n(net.correlationLength) : n(net.neighbourCorrelation) }));
    case 'paths': {
      const value =
        measure === 'path count' ? result.totalPaths : measure === 'paths through block 1' ? result.pathsThroughBlock1 : measure === 'mean path length' ? result.meanPathLength : n(result.gradientMeanLength);
      return [{ label: '', value }];
    }
    case 'lesion':
      return [{ label: result.arch, value: measure === 'worst accuracy drop' ? n(result.worstAccuracyDrop) : n(result.meanAccuracyDrop) }];
    case 'bn-scale':
      return [
        {
          label: result.arch,
          value: measure === 'late over early gamma' ? n(result.lateOverEarly) : measure === 'mean last gamma' ? n(result.meanLastGamma) : n(result.slopePerBlock),
        },
      ];
  }
}

/** The training run a lesion (or trained paths) probe needs first: the experiment's training fields. */
function trainConfigOf(run: ProbeRun): TrainRun['config'] {
  const trainKeys = new Set(TRAIN_FIELDS.map((f) => f.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())));
  const raw = Object.fromEntries(Object.entries(run.options).filter(([k]) => trainKeys.has(k)));
  return resolveConfig(raw, 'the lesson experiment');
}

/**
 * The probe's own options. When the probe read a run trained first (lesion, bn-scale, trained paths),
 * the training fields were used to train it and are left out: the probes refuse model fields with a run.
 */
function probeOptions(run: ProbeRun, trainedFirst: boolean): Record<string, unknown> {
  if (!trainedFirst) return { ...run.options };
  const trainKeys = new Set(TRAIN_FIELDS.map((f) => f.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())));
  return Object.fromEntries(Object.entries(run.options).filter(([k]) => !trainKeys.has(k) && k !== 'train'));
}
