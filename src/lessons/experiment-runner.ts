import { mkdirSync } from 'node:fs';
import { UserError } from '../util/errors.js';
import { hasConvolutions, resolveConfig, type TrainConfig } from '../contracts/train-config.js';
import { DEFAULTS as PROBE_DEFAULTS, probeIsConvolutional } from '../contracts/probe-options.js';
import type { MetricsLine } from '../contracts/run-folder.js';
import { optionName, PROBE_FIELDS, TRAIN_FIELDS } from './check/config-keys.js';
import { expectedLabels } from './check/prediction-check.js';
import { pruneLessonRuns, writeLessonTag, type LessonRunTag } from './lesson-runs.js';
import { resolveProbeRequest } from '../worker/probe-request.js';
import { renderProbe } from '../render/probe-text.js';
import { createRunDir } from '../runs/run-dir.js';
import type { RunStatus } from '../contracts/run-folder.js';
import { packageVersion } from '../util/version.js';
import type { EngineHost } from '../worker/engine-host.js';
import type { ProbeResult } from '../contracts/probe-protocol.js';
import type { PredictedExample } from '../contracts/engine-protocol.js';
import type { DivergenceInfo, ExperimentResults, Measurement, ProbeRunResult, TrainRunResult, Verdict } from '../contracts/lesson-results.js';
import { MEASURES, MEASURE_UNITS, growthUnit, measurementLabel, type Experiment, type Measure, type ProbeName, type ProbeRun, type TrainRun, type Variant } from './types.js';
import { evaluateCheck, type DivergedRun } from './verdict.js';

/**
 * Runs a lesson's experiment for real: training runs in the engine worker (their run folders go to
 * the lesson run folder, src/runs/lesson-root.ts, so `runs --lessons`, `report` and `resume` see
 * them), probes in the same worker. Every run is repeated for each of the variant's seeds. It reports
 * progress through `onUpdate` and ends with the measured numbers (with units, per seed), the verdict
 * of the experiment's `check:` on them, and the raw results.
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
  /** The measured numbers with units and per-seed values (src/contracts/lesson-results.ts). */
  readonly measurements?: readonly Measurement[];
  /** The verdict on the prediction, computed from `measurements` by the experiment's `check:`. */
  readonly verdict?: Verdict;
  /** Raw results for chart steps and for reopening the lesson. */
  readonly results?: ExperimentResults;
}

/**
 * Test-only: set to exactly `1` to run every lesson experiment on a tiny budget (a few steps on a few
 * examples, the smallest probe sizes, one seed), so a test can take every shipped experiment through
 * the tutor's own path in seconds. Never set it to learn: its numbers mean nothing.
 */
export const TINY_BUDGET_ENV = 'RESNET_TUTOR_TEST_ONLY_TINY_BUDGET';

export function tinyBudgetRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[TINY_BUDGET_ENV] === '1';
}

export interface RunnerOptions {
  /** Tiny budget (tests only); default: TINY_BUDGET_ENV. */
  readonly tinyBudget?: boolean;
  /** With the tiny budget, run every seed the variant declares instead of one (layout tests need the real number of runs). */
  readonly everySeed?: boolean;
}

/** What the tutor knows about the experiment besides its declaration, for tagging its runs. */
export interface RunContext {
  readonly lessonId?: string;
}

/** A finished training run as `train` returns it. */
interface TrainedRun {
  readonly id: string;
  readonly path: string;
  readonly label: string;
  readonly seed: number;
  readonly lines: MetricsLine[];
  status: RunStatus;
  divergence?: DivergenceInfo;
}

type Tag = Omit<LessonRunTag, 'label' | 'seed'>;

export class ExperimentRunner {
  private active: string[] = [];
  private skipped = false;
  private readonly tiny: boolean;
  private readonly everySeed: boolean;

  constructor(
    /** The engine worker; `convolutional` says what the work about to start needs (see run-tutor). */
    private readonly host: (convolutional?: boolean) => EngineHost,
    /** The folder lesson runs go to (run-tutor passes `lessonRunsDir()`); created 0700 on the first run. */
    private readonly runRoot: string,
    private readonly backend: string,
    options: RunnerOptions = {},
  ) {
    this.tiny = options.tinyBudget ?? tinyBudgetRequested();
    this.everySeed = options.everySeed ?? false;
  }

  async run(experiment: Experiment, full: boolean, onUpdate: (u: RunnerUpdate) => void, context: RunContext = {}): Promise<ExperimentOutcome> {
    this.skipped = false;
    const useFull = full && experiment.full !== null;
    const variant: Variant<TrainRun> | Variant<ProbeRun> = useFull ? experiment.full! : experiment.quick;
    const seeds = this.tiny && !this.everySeed ? 1 : variant.seeds;
    const tag: Tag = { lesson: context.lessonId ?? '', experiment: experiment.key, variant: useFull ? 'full' : 'quick' };
    if (this.tiny) onUpdate({ message: `test-only tiny budget (${TINY_BUDGET_ENV}): these numbers mean nothing` });
    const table = new MeasurementTable(experiment.measure);
    const diverged: DivergedRun[] = [];
    const runIds: string[] = [];
    const seedList: number[] = [];
    let outcome: Omit<ExperimentOutcome, 'measured' | 'measurements' | 'verdict' | 'runIds' | 'skipped'>;

    if (experiment.kind === 'train') {
      const runs = (variant as Variant<TrainRun>).runs;
      const trained: TrainedRun[] = [];
      const results: TrainRunResult[] = [];
      for (let s = 0; s < seeds && !this.skipped; s++) {
        if (seeds > 1) onUpdate({ message: `seed ${s + 1} of ${seeds}` });
        seedList.push((runs[0]?.config.seed ?? 1) + s);
        const batch = await this.train(
          runs.map((r) => ({ label: r.label, config: this.budget({ ...r.config, seed: r.config.seed + s }) })),
          onUpdate,
          tag,
        );
        for (const [i, t] of batch.entries()) {
          trained.push(t);
          runIds.push(t.id);
          results.push({ label: t.label, seed: t.seed, runId: t.id, status: t.status, lines: t.lines, ...(t.divergence ? { divergence: t.divergence } : {}) });
          const label = measurementLabel(t.label, '', experiment.measure);
          if (t.divergence) diverged.push({ label, seed: t.seed, ...t.divergence });
          table.add(label, s, t.status === 'diverged' ? NaN : trainMeasure(experiment.measure, t.lines, runs[i]!.config.batchSize));
        }
      }
      outcome = { results: { kind: 'train', runs: results } };
      if (experiment.show === 'segmentation' && !this.skipped) {
        onUpdate({ message: "drawing the networks' masks on validation images…" });
        const predictions: RunPredictions[] = [];
        // The first seed's networks: one picture per run label.
        for (const [i, r] of runs.entries()) {
          const t = trained[i];
          if (!t) continue;
          const p = await this.host().predict(t.path, this.budget(r.config), SHOWN_EXAMPLES, this.backend);
          predictions.push({ label: t.label, shape: p.shape, examples: p.examples });
        }
        onUpdate({ predictions });
        outcome = { ...outcome, predictions };
      }
    } else {
      const runs = (variant as Variant<ProbeRun>).runs;
      const texts: string[] = [];
      const results: ProbeRunResult[] = [];
      for (let s = 0; s < seeds && !this.skipped; s++) {
        if (seeds > 1) onUpdate({ message: `seed ${s + 1} of ${seeds}` });
        for (const run of runs) {
          if (this.skipped) break;
          const trains = experiment.probe === 'lesion' || experiment.probe === 'bn-scale' || (experiment.probe === 'paths' && run.options.train !== undefined);
          const baseSeed = trains ? trainConfigOf(run).seed : Number(run.options.seed ?? PROBE_DEFAULTS.seed);
          const seed = baseSeed + s;
          if (run === runs[0]) seedList.push(seed);
          let runName: string | undefined;
          if (trains) {
            // These probes read a trained network: train it first, as the lesson describes.
            const [t] = await this.train([{ label: run.label, config: this.budget({ ...trainConfigOf(run), seed }) }], onUpdate, tag);
            if (this.skipped || !t) break;
            runIds.push(t.id);
            if (t.status === 'diverged') {
              // Nothing to take apart: the verdict names the step and block instead.
              for (const label of labelsOf(experiment.probe, run, experiment.measure)) {
                if (t.divergence) diverged.push({ label, seed, ...t.divergence });
                table.add(label, s, NaN);
              }
              continue;
            }
            runName = t.path;
          }
          onUpdate({ message: `running probe ${experiment.probe}${run.label ? ` (${run.label})` : ''}…` });
          const request = resolveProbeRequest(experiment.probe, runName, this.runRoot, this.probeOptions(experiment.probe, run, seed, runName !== undefined), 'the lesson experiment');
          // In the engine worker, like the training runs: one tfjs thread per process (tfjs-node).
          const { result } = await this.host(probeIsConvolutional(request)).probe(request, this.backend, (m) => onUpdate({ message: m }));
          results.push({ label: run.label, seed, result });
          if (s === 0) {
            texts.push(renderProbe(result, { width: 100, color: false } as never));
            onUpdate({ probeText: texts.join('\n') });
          }
          for (const m of probeMeasures(result, experiment.measure, table.laws)) table.add(measurementLabel(run.label, m.label, experiment.measure), s, m.value, m.unit);
        }
      }
      outcome = { results: { kind: 'probe', probe: experiment.probe, runs: results } };
    }

    const measurements = table.measurements(variant.labels);
    const first = experiment.kind === 'train' ? (variant as Variant<TrainRun>).runs[0]?.config : experiment.probe === 'lesion' ? trainConfigOfSafe((variant as Variant<ProbeRun>).runs[0]) : null;
    const verdict = evaluateCheck(variant.check, measurements, {
      seeds: seedList,
      diverged,
      kind: experiment.kind,
      budget: first ? budgetOf(this.budget(first)) : '',
    });
    return {
      ...outcome,
      measured: measurements.map((m) => ({ label: m.label, value: m.value })),
      measurements,
      verdict,
      runIds,
      skipped: this.skipped,
    };
  }

  pause(): void {
    for (const id of this.active) this.host().send({ type: 'pause', runId: id });
  }

  resume(): void {
    for (const id of this.active) this.host().send({ type: 'resume', runId: id });
  }

  /** Stops the runs with a checkpoint (they stay resumable) and ends the experiment. */
  skip(): void {
    this.skipped = true;
    for (const id of this.active) this.host().send({ type: 'stop', runId: id, checkpoint: true });
  }

  /** The configuration as run: unchanged, or cut to a few steps on a few examples (tests only). */
  private budget(config: TrainConfig): TrainConfig {
    if (!this.tiny) return config;
    const batchSize = Math.min(config.batchSize, 16);
    return { ...config, steps: 3, trainLimit: Math.min(config.trainLimit ?? 64, 64), valLimit: Math.min(config.valLimit ?? 32, 32), batchSize };
  }

  /**
   * The probe's own options for one run and seed. Once the run it reads exists, the training fields
   * (which made that run) are not the probe's: passing them made every lesion experiment fail with
   * "`net` does not apply to the lesion probe".
   */
  private probeOptions(probe: ProbeName, run: ProbeRun, seed: number, trained: boolean): Record<string, unknown> {
    const own = new Set(PROBE_FIELDS[probe].map(optionName));
    let options: Record<string, unknown>;
    if (trained) {
      const keep = probe === 'lesion' ? ['limit'] : probe === 'bn-scale' ? [] : ['samples', 'batchSize'];
      options = Object.fromEntries(Object.entries(run.options).filter(([k]) => keep.includes(k)));
    } else {
      options = { ...run.options, ...(own.has('seed') ? { seed } : {}) };
    }
    if (this.tiny) {
      const tiny: Record<string, number> = { samples: 1, points: 16, repeats: 1, limit: 32, batchSize: 16 };
      for (const [k, v] of Object.entries(tiny)) {
        if (!own.has(k) || (trained && probe === 'lesion' && k !== 'limit')) continue;
        const given = typeof options[k] === 'number' ? (options[k] as number) : Infinity;
        options[k] = Math.min(given, v);
      }
    }
    return options;
  }

  private async train(runs: readonly TrainRun[], onUpdate: (u: RunnerUpdate) => void, tag: Tag): Promise<TrainedRun[]> {
    const host = this.host(runs.some((r) => hasConvolutions(r.config.net)));
    // Only this user reads the student's runs (created on the first run, not when the tutor opens).
    mkdirSync(this.runRoot, { recursive: true, mode: 0o700 });
    const started: TrainedRun[] = runs.map((r) => {
      const { id, path } = createRunDir(this.runRoot, r.config, { resnetTutor: packageVersion() });
      writeLessonTag(path, { ...tag, label: r.label, seed: r.config.seed });
      return { id, path, label: r.label, seed: r.config.seed, lines: [] as MetricsLine[], status: 'running' as RunStatus };
    });
    this.active = started.map((s) => s.id);
    onUpdate({ runs: started.map((s) => ({ id: s.id, label: s.label, lines: [], totalSteps: 0, status: 'starting' })) });
    const byId = new Map(started.map((s) => [s.id, s]));
    try {
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
              if (e.divergence) run.divergence = { step: e.divergence.step, block: e.divergence.where === 'loss' ? '' : e.divergence.where };
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
            // The experiment's runs take no checkpoints on request.
            case 'checkpointed':
              break;
          }
        });
        for (const [i, s] of started.entries()) host.start(s.id, s.path, runs[i]!.config, this.backend, false);
      });
    } finally {
      this.active = [];
      // Keep only the latest run of each lesson experiment, label and seed (finished ones only).
      for (const s of started) {
        if (s.status !== 'running' && s.status !== 'interrupted') pruneLessonRuns(this.runRoot, s.id, { ...tag, label: s.label, seed: s.seed });
      }
    }
    return started;
  }
}

/** Collects each label's value per seed index, and the unit each label is reported in. */
class MeasurementTable {
  private readonly rows = new Map<string, { perSeed: number[]; unit: string }>();
  /** The fit law of each variance series on the first seed: later seeds report the same quantity. */
  readonly laws = new Map<string, string>();

  constructor(private readonly measure: Measure) {}

  add(label: string, seedIndex: number, value: number, unit: string = MEASURE_UNITS[this.measure]): void {
    const row = this.rows.get(label) ?? { perSeed: [], unit };
    row.perSeed[seedIndex] = value;
    this.rows.set(label, row);
  }

  /** In the declared order first (what the checker expects), then anything else measured. */
  measurements(order: readonly string[]): Measurement[] {
    const labels = [...order.filter((l) => this.rows.has(l)), ...[...this.rows.keys()].filter((l) => !order.includes(l))];
    return labels.map((label) => {
      const row = this.rows.get(label)!;
      const perSeed = Array.from({ length: row.perSeed.length }, (_, i) => row.perSeed[i] ?? NaN);
      const finite = perSeed.filter(Number.isFinite);
      const value = finite.length === perSeed.length && finite.length > 0 ? finite.reduce((a, b) => a + b, 0) / finite.length : NaN;
      return { label, value, perSeed, unit: row.unit };
    });
  }
}

/** "300 steps on 10000 examples", for the verdict's caveat. */
function budgetOf(c: TrainConfig): string {
  const steps = c.steps !== null ? `${c.steps} steps` : `${c.epochs} epoch${c.epochs === 1 ? '' : 's'}`;
  return `${steps} on ${c.trainLimit !== null ? `${c.trainLimit} examples` : 'the whole training set'}`;
}

/** The labels one probe run's measurements carry (check/prediction-check.ts expects the same). */
function labelsOf(probe: ProbeName, run: ProbeRun, measure: Measure): string[] {
  return expectedLabels({ runs: [run] }, probe, measure);
}

type TrainMeasure = (typeof MEASURES.train)[number];
function isTrainMeasure(m: Measure): m is TrainMeasure {
  return (MEASURES.train as readonly string[]).includes(m);
}

/**
 * The number a training run reports for a lesson's `measure`, in the unit of MEASURE_UNITS:
 * accuracies as percentages (the trainer logs fractions), gaps in percentage points.
 */
export function trainMeasure(measure: Measure, lines: readonly MetricsLine[], batchSize = NaN): number {
  const last = lines[lines.length - 1];
  if (!last) return NaN;
  const val = [...lines].reverse().find((l) => l.valLoss !== undefined);
  const pct = (v: number | undefined) => (v === undefined ? NaN : 100 * v);
  // A probe's measure is not in a metrics line.
  if (!isTrainMeasure(measure)) return NaN;
  switch (measure) {
    case 'final train loss':
      return last.loss;
    case 'final train accuracy':
      return pct(last.accuracy);
    case 'val loss':
      return val?.valLoss ?? NaN;
    case 'val accuracy':
      return pct(val?.valAccuracy);
    case 'samples per second':
      return last.samplesPerSecond;
    case 'train-val gap':
      return pct(last.accuracy) - pct(val?.valAccuracy);
    case 'seconds per step': {
      // The median, so the first line (which pays for warm-up and compilation) does not dominate.
      const times = lines.filter((l) => l.samplesPerSecond > 0).map((l) => batchSize / l.samplesPerSecond).sort((x, y) => x - y);
      if (times.length === 0) return NaN;
      const mid = Math.floor(times.length / 2);
      return times.length % 2 ? times[mid]! : (times[mid - 1]! + times[mid]!) / 2;
    }
  }
}

/**
 * The numbers a probe result reports for a lesson's `measure`, one per series (variance: per
 * architecture; shatter: per net, by its key), with their units; `label` is the series label ('' for
 * a probe with one result). `laws` fixes, per series, which fit a variance growth reports: the first
 * result seen decides (a factor and an added amount cannot be averaged).
 */
export function probeMeasures(result: ProbeResult, measure: Measure, laws = new Map<string, string>()): { label: string; value: number; unit: string }[] {
  const n = (v: number | null | undefined) => (v === null || v === undefined ? NaN : v);
  const unit = MEASURE_UNITS[measure];
  switch (result.probe) {
    case 'variance':
      return result.series.map((s) => {
        if (measure === 'final variance') return { label: s.arch, value: n(s.meanSquare[s.meanSquare.length - 1]), unit };
        const law = laws.get(s.arch) ?? s.fit.law;
        laws.set(s.arch, law);
        return { label: s.arch, value: law === 'linear' ? n(s.fit.slope) : n(s.fit.ratio), unit: growthUnit(law) };
      });
    case 'shatter':
      return result.nets.map((net) => ({ label: net.key, value: measure === 'correlation length' ? n(net.correlationLength) : n(net.neighbourCorrelation), unit }));
    case 'paths': {
      const value =
        measure === 'path count' ? result.totalPaths : measure === 'paths through block 1' ? result.pathsThroughBlock1 : measure === 'mean path length' ? result.meanPathLength : n(result.gradientMeanLength);
      return [{ label: '', value, unit }];
    }
    case 'lesion':
      // The probe reports fractions of accuracy; a drop is shown in percentage points.
      return [{ label: '', value: 100 * n(measure === 'worst accuracy drop' ? result.worstAccuracyDrop : result.meanAccuracyDrop), unit }];
    case 'bn-scale':
      return [
        {
          label: '',
          value: measure === 'late over early gamma' ? n(result.lateOverEarly) : measure === 'mean last gamma' ? n(result.meanLastGamma) : n(result.slopePerBlock),
          unit,
        },
      ];
  }
}

/** The training run a lesion (or trained paths) probe needs first: the experiment's training fields. */
function trainConfigOf(run: ProbeRun): TrainRun['config'] {
  const trainKeys = new Set(TRAIN_FIELDS.map(optionName));
  const raw = Object.fromEntries(Object.entries(run.options).filter(([k]) => trainKeys.has(k)));
  return resolveConfig(raw, 'the lesson experiment');
}

/** As trainConfigOf, or null when the run has no valid training fields (nothing to describe). */
function trainConfigOfSafe(run: ProbeRun | undefined): TrainConfig | null {
  try {
    return run ? trainConfigOf(run) : null;
  } catch {
    return null;
  }
}
