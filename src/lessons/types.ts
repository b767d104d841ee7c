/**
 * The typed form of a lesson file (lessons/FORMAT.md). Everything a player needs is here and already
 * checked: question answers resolve to options, experiment configurations passed `resolveConfig`.
 * Every step, option and field keeps the line it came from, so a message can point at the file.
 * No tfjs here: lessons are loaded on the main thread.
 */
import type { TrainConfig } from '../contracts/train-config.js';
import { PROBE_NAMES, type ProbeName } from '../contracts/probe-options.js';
import type { Check } from './verdict.js';

/** The lesson-file format this version of resnet-tutor reads (front matter `format:`). */
export const LESSON_FORMAT = 1;

export const STEP_KINDS = ['text', 'math', 'question', 'experiment', 'chart', 'summary'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

export const QUESTION_TYPES = ['single', 'multiple', 'numeric'] as const;
export type QuestionType = (typeof QUESTION_TYPES)[number];

export const EXPERIMENT_KINDS = ['train', 'probe'] as const;
export type ExperimentKind = (typeof EXPERIMENT_KINDS)[number];

/** The lecture's instruments (DESIGN.md, probes); `resnet-tutor probe <what>` runs the same ones. */
export const PROBES = PROBE_NAMES;
export type { ProbeName };

/**
 * The numbers an experiment can report in its comparison (`measure:`), by what it runs; each is a
 * field of the engine's result (train metrics; probes/*.ts results). The player shows the chosen one
 * per run, side by side, next to the lecture's prediction.
 */
export const MEASURES = {
  /**
   * The last logged metrics line and the last validation numbers; `train-val gap` is the final train
   * accuracy minus the last validation accuracy; `seconds per step` the median over the logged lines
   * of batch size / samples per second.
   */
  train: ['final train loss', 'final train accuracy', 'val loss', 'val accuracy', 'samples per second', 'train-val gap', 'seconds per step'],
  /** Per architecture: the fitted factor (or step) per block, and the last block's E[h²]. */
  variance: ['growth per block', 'final variance'],
  /** Per net: `neighbourCorrelation`, `correlationLength`. */
  shatter: ['neighbour correlation', 'correlation length'],
  /** `totalPaths`, `pathsThroughBlock1`, `meanPathLength`, `gradientMeanLength`. */
  paths: ['path count', 'paths through block 1', 'mean path length', 'gradient mean path length'],
  /** `meanAccuracyDrop`, `worstAccuracyDrop`. */
  lesion: ['mean accuracy drop', 'worst accuracy drop'],
  /** `slopePerBlock`, `lateOverEarly`, `meanLastGamma` (bn-scale.ts). */
  'bn-scale': ['gamma slope per block', 'late over early gamma', 'mean last gamma'],
} as const satisfies Record<'train' | ProbeName, readonly string[]>;
export type Measure = (typeof MEASURES)[keyof typeof MEASURES][number];

/**
 * The unit of each measure as the student reads it (a measured value is stored in this unit:
 * accuracies as percentages, not fractions). `growth per block` depends on the fit the probe chose
 * for each series: a factor ("x per block", exponential) or an added amount ("per block (added)",
 * linear); this table holds the exponential case and `growthUnit` picks per series.
 */
export const MEASURE_UNITS: Readonly<Record<Measure, string>> = {
  'final train loss': 'nats',
  'final train accuracy': '%',
  'val loss': 'nats',
  'val accuracy': '%',
  'samples per second': 'samples/s',
  'train-val gap': 'percentage points',
  'seconds per step': 's',
  'growth per block': 'x per block',
  'final variance': '',
  'neighbour correlation': '',
  'correlation length': 'input units',
  'path count': 'paths',
  'paths through block 1': 'paths',
  'mean path length': 'blocks',
  'gradient mean path length': 'blocks',
  'mean accuracy drop': 'percentage points',
  'worst accuracy drop': 'percentage points',
  'gamma slope per block': 'per block (added)',
  'late over early gamma': 'x (ratio)',
  'mean last gamma': '',
};

/** The unit of a variance series' `growth per block`: its fit law decides. */
export function growthUnit(law: string): string {
  return law === 'linear' ? 'per block (added)' : 'x per block';
}

/** The nets the shatter probe always compares, by their result `key` (the label a check uses). */
export const SHATTER_NETS = ['shallow', 'plain', 'plain-bn', 'residual', 'residual-bn'] as const;

/**
 * The label of one measured value: the run label and the probe's series label joined by ", "
 * ("depth 12, residual-bn"), or the measure's own name when neither exists (a single run or result:
 * `[mean path length]`).
 */
export function measurementLabel(runLabel: string, seriesLabel: string, measure: string): string {
  return [runLabel, seriesLabel].filter((p) => p !== '').join(', ') || measure;
}

/** Most seeds an experiment may repeat its runs with (`seeds:`). */
export const MAX_SEEDS = 5;

/** Series a chart step can draw from an experiment's results, by what the experiment runs. */
export const CHART_METRICS = {
  train: ['loss', 'accuracy', 'val-loss', 'val-accuracy', 'grad-norms', 'activation-variances'],
  variance: ['variance', 'batch-variance'],
  shatter: ['gradient', 'autocorrelation'],
  paths: ['path-lengths', 'gradient-by-length'],
  lesion: ['lesion-accuracy'],
  'bn-scale': ['gamma-by-block'],
} as const satisfies Record<'train' | ProbeName, readonly string[]>;

/** Training experiments whose `cost` is above this many seconds get a warning from the checker. */
// Five minutes: a claim about training outcomes runs several seeds (issue 12), each within the 2-minute size.
export const COST_LIMIT_SECONDS = 300;

export interface Lesson {
  readonly format: number;
  readonly id: string;
  readonly number: number;
  readonly title: string;
  readonly summary: string;
  /** The teacher's estimate of the time a learner needs, experiments included. */
  readonly minutes: number;
  /** The path as shown in messages (relative to the working directory when inside it). */
  readonly file: string;
  /** Absolute path of the file. */
  readonly path: string;
  /** Line of each front matter field (`id`, `number`, ...), for messages about them. */
  readonly fieldLines: Readonly<Record<string, number>>;
  readonly steps: readonly Step[];
}

interface StepBase {
  /** Line of the step's `::: kind` header. */
  readonly line: number;
  /** Text after the kind on the header line (`::: text The chain rule`); '' when none. */
  readonly title: string;
}

/** Prose in Markdown; `$...$` spans are inline math (render with `renderInline`). */
export interface TextStep extends StepBase {
  readonly kind: 'text';
  readonly body: string;
}

export interface MathLine {
  /** LaTeX-like source (render with `renderMath`). */
  readonly tex: string;
  readonly line: number;
}

/** Display equations, one per line. */
export interface MathStep extends StepBase {
  readonly kind: 'math';
  readonly equations: readonly MathLine[];
}

export interface QuestionStep extends StepBase {
  readonly kind: 'question';
  readonly question: Question;
}

export interface ExperimentStep extends StepBase {
  readonly kind: 'experiment';
  readonly experiment: Experiment;
}

export interface ChartStep extends StepBase {
  readonly kind: 'chart';
  readonly chart: Chart;
}

/** The lesson's take-aways, one item per `- ` line. */
export interface SummaryStep extends StepBase {
  readonly kind: 'summary';
  readonly items: readonly { readonly text: string; readonly line: number }[];
}

export type Step = TextStep | MathStep | QuestionStep | ExperimentStep | ChartStep | SummaryStep;

export interface Option {
  /** `a`, `b`, ... as written in the file. */
  readonly label: string;
  readonly text: string;
  readonly line: number;
}

export interface AnswerRef {
  /** Index into `options`. */
  readonly index: number;
  readonly label: string;
}

interface QuestionBase {
  /** Key for progress: `id:` when given, else `step-N` (N = 1-based step number). */
  readonly key: string;
  readonly line: number;
  readonly prompt: string;
  /** Shown on request before answering. */
  readonly hint: string;
  /** Why the answer is what it is; shown after answering, right or wrong. */
  readonly explain: string;
}

export interface SingleQuestion extends QuestionBase {
  readonly type: 'single';
  readonly options: readonly Option[];
  readonly answer: AnswerRef;
}

export interface MultipleQuestion extends QuestionBase {
  readonly type: 'multiple';
  readonly options: readonly Option[];
  /** Every option that must be chosen (and no other), in option order. */
  readonly answers: readonly AnswerRef[];
}

export interface NumericQuestion extends QuestionBase {
  readonly type: 'numeric';
  readonly answer: number;
  /** A given number g is right when |g - answer| <= tolerance. */
  readonly tolerance: number;
  /** Shown after the input, e.g. "parameters"; '' when none. */
  readonly unit: string;
}

export type Question = SingleQuestion | MultipleQuestion | NumericQuestion;

/** One field as written, for showing an experiment's setup: `depth: 2, 8, 20` at line 40. */
export interface FieldSource {
  readonly key: string;
  readonly value: string;
  readonly line: number;
}

export interface TrainRun {
  /** What distinguishes this run in the comparison, e.g. "depth 8" or "arch residual-bn, lr 0.5"; '' when nothing is compared. */
  readonly label: string;
  readonly config: TrainConfig;
}

export interface ProbeRun {
  /** As for `TrainRun`. */
  readonly label: string;
  /**
   * Options in camelCase (`blockOrder`), numbers parsed, as the probe's `resolve...Options` take
   * them (already checked by them); a lesion's are the training fields of the run to train first,
   * plus `limit`.
   */
  readonly options: Readonly<Record<string, string | number>>;
}

export interface Variant<R> {
  /** Compared fields in kebab-case, as written (`depth`, `block-order`); empty for a single run. */
  readonly compare: readonly string[];
  readonly runs: readonly R[];
  /** `seeds:` (1 to MAX_SEEDS): every run is repeated with seeds seed, seed+1, ..., labelled the same. */
  readonly seeds: number;
  /** The prediction as conditions over the measured values (`check:`; verdict.ts). */
  readonly check: Check;
  /** The labels the variant's measurements will carry, in order (what `[label]` may name). */
  readonly labels: readonly string[];
  /** Expected seconds: the default variant on the default wasm backend at 2 cores; the full variant on one GPU. */
  readonly cost: number;
  readonly fields: readonly FieldSource[];
}

interface ExperimentBase {
  /** Key for progress and for charts (`experiment: <id>`): `id:` when given, else `step-N`. */
  readonly key: string;
  readonly line: number;
  readonly title: string;
  /** The prediction, in one sentence; shown before the runs and next to the results. */
  readonly predict: string;
  /** Whose prediction it is (`source:`): the lecture's, a paper's, or the tutor's own expectation. */
  readonly source: PredictionSource;
  readonly measure: Measure;
}

/**
 * `source: lecture`, `source: tutor` (our own expectation), or a citation (`source: He et al. 2015,
 * Deep Residual Learning, Fig. 1`), shown as "Prediction (He et al. 2015, ...): ...".
 */
export type PredictionSource =
  | { readonly kind: 'lecture' }
  | { readonly kind: 'tutor' }
  | { readonly kind: 'paper'; readonly citation: string };

/** How a prediction's source is named on screen: "the lecture", "the tutor's expectation", or the citation. */
export function sourceName(s: PredictionSource): string {
  return s.kind === 'lecture' ? 'the lecture' : s.kind === 'tutor' ? "the tutor's expectation" : s.citation;
}

/** What a training experiment draws at the end, besides its numbers (`show:`). */
export const SHOW_KINDS = ['segmentation'] as const;
export type ShowKind = (typeof SHOW_KINDS)[number];

export interface TrainExperiment extends ExperimentBase {
  readonly kind: 'train';
  /**
   * `segmentation`: after training, run each (U-Net) run on a few validation images and draw input,
   * target and prediction side by side. Null when the experiment shows only its numbers and charts.
   */
  readonly show: ShowKind | null;
  readonly quick: Variant<TrainRun>;
  /** Paper-sized (CIFAR-10, ResNet-20/56 and plain twins): used with `--full` or on a GPU; null when none. */
  readonly full: Variant<TrainRun> | null;
}

export interface ProbeExperiment extends ExperimentBase {
  readonly kind: 'probe';
  readonly probe: ProbeName;
  readonly quick: Variant<ProbeRun>;
  readonly full: Variant<ProbeRun> | null;
}

export type Experiment = TrainExperiment | ProbeExperiment;

/** A chart of an earlier experiment's results, or of numbers written in the lesson. */
export type Chart =
  | {
      readonly source: 'experiment';
      /** The `key` of an experiment earlier in the same lesson. */
      readonly experiment: string;
      readonly metric: string;
      readonly title: string;
      readonly scale: 'linear' | 'log';
      readonly line: number;
    }
  | {
      readonly source: 'inline';
      readonly series: readonly { readonly name: string; readonly values: readonly number[]; readonly line: number }[];
      readonly title: string;
      /** Axis labels; '' when none. */
      readonly x: string;
      readonly y: string;
      readonly scale: 'linear' | 'log';
      readonly line: number;
    };

/** Something wrong (or doubtful) in a lesson file, at a line; `file:line: message` when printed. */
export interface Problem {
  readonly file: string;
  readonly line: number;
  readonly severity: 'error' | 'warning';
  readonly message: string;
}

/** `lessons/03-residual.md:42: question has no answer ...` (warnings say so). */
export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}: ${p.severity === 'warning' ? 'warning: ' : ''}${p.message}`;
}
