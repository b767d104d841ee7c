/**
 * The lines of an experiment step under its prediction: what will run, the live runs, and at the end
 * the verdict, the measured numbers with their units, the decisive chart and the probe's details, all
 * laid out for the pane's width. Pure: the view only slices and paints them.
 */
import type { ExperimentResults, Measurement } from '../../contracts/lesson-results.js';
import type { Experiment, Lesson } from '../../lessons/types.js';
import { checkLabels, formatNumber, formatValue } from '../../lessons/verdict.js';
import { renderProbe } from '../../render/probe-text.js';
import { clipText, num } from '../../util/format.js';
import { chartLines, MIN_CHART_LINES, type ChartLook } from './chart-lines.js';
import { chartOf, trainChart, type ChartData } from './chart-model.js';
import { mergeRunPredictions, renderSegmentationGrids } from './segmentation-grid.js';
import type { ExperimentState } from './state.js';
import { proseLines } from './step-text.js';

/** One line of the lesson body; `fitted` lines are already exactly as wide as they may be (charts, with ANSI colours). */
export interface Line {
  readonly text: string;
  readonly color?: 'green' | 'yellow' | 'red' | 'cyan';
  readonly bold?: boolean;
  readonly dim?: boolean;
  readonly fitted?: boolean;
}

export const EXPERIMENT_TEXT = {
  run: 'Press Enter to run it (s skips it).',
  again: 'Enter moves on; r runs it again.',
  skipped: 'Skipped. Enter moves on; r runs it after all.',
  paused: 'Paused: p resumes, s skips.',
  // Errors are sentences already: their own full stop ends them (no "..").
  failed: (error: string) => `The experiment failed: ${error.trim().replace(/[.\s]+$/, '')}. Enter tries again.`,
  saved: (at: string) =>
    `Your results from ${at ? at.slice(0, 16).replace('T', ' ') : 'an earlier session'} (saved): r runs it again, Enter moves on.`,
  took: (seconds: number, stated: number) => `This run took ${formatCost(seconds)}; the lesson states about ${formatCost(stated)} here.`,
  nothingMeasured: (measure: string) =>
    `Nothing was measured: the experiment produced no ${measure} (its runs stopped before logging one); r runs it again.`,
  outcome: { held: 'HELD', 'not-held': 'DID NOT HOLD', undecided: 'UNDECIDED' },
} as const;

/** What chart steps draw by default for each kind of experiment, when the lesson names no chart of it. */
const DEFAULT_METRIC = {
  train: 'loss',
  'bn-scale': 'gamma-by-block',
  variance: 'variance',
  shatter: 'gradient',
  paths: 'path-lengths',
  lesion: 'lesion-accuracy',
} as const;

export function experimentLines(
  e: ExperimentState,
  exp: Experiment,
  lesson: Lesson,
  width: number,
  /** Rows the whole body may show at once: the live or decisive chart gets what the lines above it leave. */
  room: number,
  /** The step's own lines (the prediction): above a running experiment, below a finished one's evidence. */
  prediction: readonly Line[],
  look: ChartLook & { charset: 'unicode' | 'ascii' },
): Line[] {
  const out: Line[] = [];
  const say = (text: string, style: Omit<Line, 'text'> = {}) =>
    proseLines(text, width, look.charset, '', '  ').forEach((t) => out.push({ ...style, text: t }));
  const indented = (text: string, style: Omit<Line, 'text'> = {}) =>
    proseLines(text, width, look.charset, '  ', '    ').forEach((t) => out.push({ ...style, text: t }));
  const variant = exp.quick;
  const finished = e.status === 'done';
  if (!finished) out.push(...prediction);
  if (e.status === 'idle') {
    say(`Runs: ${variant.runs.map((r) => r.label || exp.title).join(', ')} · about ${formatCost(variant.cost)} here.`);
    say(EXPERIMENT_TEXT.run, { color: 'cyan', bold: true });
    return out;
  }
  if (finished) {
    // The evidence first, so the first screen at 80x24 holds the verdict, the numbers and the chart;
    // the rest (why a verdict can fail, the prediction as written, the probe's tables) scrolls below.
    if (e.verdict)
      say(`[${EXPERIMENT_TEXT.outcome[e.verdict.outcome]}] ${e.verdict.headline}`, { color: OUTCOME_COLOR[e.verdict.outcome], bold: true });
    measuredLines(e, exp, say, indented, 'checked');
  } else {
    out.push({ text: '' });
    for (const r of e.runs) {
      const last = r.lines[r.lines.length - 1];
      const where = last ? `step ${last.step}/${r.totalSteps}  loss ${num(last.loss, 3)}` : '';
      out.push({ text: clipText(`  ${(r.label || 'run').padEnd(18)} ${where}  ${r.status}`, width) });
    }
    if (e.message) say(e.message, { dim: true });
    if (e.status === 'paused') say(EXPERIMENT_TEXT.paused, { color: 'yellow' });
    if (e.status === 'failed') say(EXPERIMENT_TEXT.failed(e.error), { color: 'red' });
    if (e.status === 'skipped') say(EXPERIMENT_TEXT.skipped, { color: 'yellow' });
  }

  // The chart the check is about: the lesson's own chart of this experiment when there is one, else
  // the default; of the first seed when there are several (the numbers above cover every seed). It
  // gets the rows the first screen has left (one goes to the "more below" marker).
  const chart = decisiveChart(e, exp, lesson);
  if (chart) {
    // No title line of its own (the step's title names the experiment): every row goes to the plot.
    const lines = Math.max(MIN_CHART_LINES, room - 1 - out.length);
    for (const t of chartLines(chart.data, width, lines, look)) out.push({ text: t, fitted: true });
  }
  if (!finished) return out;

  measuredLines(e, exp, say, indented, 'others');
  if (e.savedAt !== undefined) say(EXPERIMENT_TEXT.saved(e.savedAt), { dim: true });
  else if (e.timing) say(EXPERIMENT_TEXT.took(e.timing.seconds, e.timing.stated), { dim: true });
  if (e.verdict) {
    const shown = new Set((e.measurements ?? []).map((m) => `${m.label || 'the result'}: `));
    // The per-label details repeat the measured lines above; the others (divergence, seeds) do not.
    for (const d of e.verdict.details) if (![...shown].some((p) => d.startsWith(p))) say(d);
    if (e.verdict.caveat) say(e.verdict.caveat, { color: 'yellow' });
  }
  if (e.results) divergenceLines(e.results, say);
  out.push({ text: '' }, ...prediction);
  if (e.results?.kind === 'probe') {
    const runs = firstSeed(e.results.runs);
    if (runs.length < e.results.runs.length) {
      out.push({ text: '' });
      say(`The probe's details for its first seed (the measured numbers above cover all ${seedCount(e.results.runs)} seeds):`, {
        dim: true,
      });
    }
    for (const run of runs) {
      out.push({ text: '' });
      if (run.label) out.push({ text: `${run.label}:`, bold: true });
      // Plain text (no ANSI), so every line can be clipped to the pane.
      for (const t of renderProbe(run.result, { width, color: false }).trimEnd().split('\n')) out.push({ text: t });
    }
  } else if (e.probeText) {
    // A runner that reports no raw results: its text, as rendered there.
    for (const t of e.probeText.split('\n').filter((l) => l.trim() !== '')) out.push({ text: t });
  }
  if (e.predictions && e.predictions.length > 0) {
    out.push({ text: '' });
    const { shape, examples } = mergeRunPredictions(e.predictions);
    for (const t of renderSegmentationGrids(examples, shape, { ascii: look.charset === 'ascii' })) out.push({ text: t });
  }
  return out;
}

const OUTCOME_COLOR = { held: 'green', 'not-held': 'red', undecided: 'yellow' } as const;

/** Each label's runs of its first seed only. */
function firstSeed<T extends { readonly label: string; readonly seed: number }>(runs: readonly T[]): T[] {
  const first = new Map<string, number>();
  for (const r of runs) if (!first.has(r.label)) first.set(r.label, r.seed);
  return runs.filter((r) => first.get(r.label) === r.seed);
}

function seedCount(runs: readonly { readonly label: string; readonly seed: number }[]): number {
  const per = new Map<string, Set<number>>();
  for (const r of runs) per.set(r.label, (per.get(r.label) ?? new Set()).add(r.seed));
  return Math.max(1, ...[...per.values()].map((s) => s.size));
}

/** The chart a finished experiment shows under its numbers (or a training one while it runs), with its title. */
export function decisiveChart(e: ExperimentState, exp: Experiment, lesson: Lesson): { title: string; data: ChartData } | null {
  if (e.status !== 'done' && exp.kind === 'train') {
    const live = e.runs.filter((r) => r.lines.length > 0);
    if (live.length === 0) return null;
    const data = trainChart(
      live.map((r) => ({ label: r.label, seed: 0, runId: r.id, status: 'running', lines: r.lines })),
      'loss',
      'Training loss so far',
    );
    return data && { title: data.title, data };
  }
  if (!e.results || e.status !== 'done') return null;
  const own = lesson.steps.find((s) => s.kind === 'chart' && s.chart.source === 'experiment' && s.chart.experiment === exp.key);
  const metric =
    own?.kind === 'chart' && own.chart.source === 'experiment'
      ? own.chart.metric
      : DEFAULT_METRIC[exp.kind === 'train' ? 'train' : exp.probe];
  const scale = own?.kind === 'chart' ? own.chart.scale : 'linear';
  const title = own?.kind === 'chart' && own.chart.title ? own.chart.title : exp.title;
  const seeds = seedCount(e.results.runs);
  const results: ExperimentResults =
    e.results.kind === 'train' ? { ...e.results, runs: firstSeed(e.results.runs) } : { ...e.results, runs: firstSeed(e.results.runs) };
  const drawn = chartOf({ source: 'experiment', experiment: exp.key, metric, title, scale, line: 0 }, lesson, { [exp.key]: results });
  if (drawn.kind === 'missing') return null;
  return { title, data: seeds > 1 ? { ...drawn, y: `${drawn.y}; first of ${seeds} seeds drawn` } : drawn };
}

type Say = (text: string, style?: Omit<Line, 'text'>) => void;

/**
 * The measured numbers with their units and, over several seeds, each seed's value, one line per
 * label: the ones the check names (`checked`, under the verdict) or the others (`others`, below the chart).
 */
function measuredLines(e: ExperimentState, exp: Experiment, say: Say, indented: Say, part: 'checked' | 'others'): void {
  if (e.measurements && e.measurements.length > 0) {
    const named = new Set(checkLabels(exp.quick.check));
    const checked = e.measurements.filter((m) => named.has(m.label));
    // A check that names no label (or a runner without one) leaves every number above the chart.
    const above = checked.length > 0 ? checked : e.measurements;
    const shown = part === 'checked' ? above : e.measurements.filter((m) => !above.includes(m));
    if (shown.length === 0) return;
    say(part === 'checked' ? `Measured (${exp.measure}):` : `Also measured (${exp.measure}):`, { bold: !e.verdict });
    for (const m of shown) indented(measurementText(m));
    return;
  }
  if (part === 'others') return;
  if (e.measured.length === 0) {
    say(EXPERIMENT_TEXT.nothingMeasured(exp.measure), { color: 'yellow' });
    return;
  }
  const measured = e.measured.map((m) => `${m.label || 'result'} ${formatMeasure(m.value)}`).join(', ');
  say(`Measured (${exp.measure}): ${measured}.`, { color: 'green', bold: true });
}

/** "residual: 1.98x per block (mean; seeds 1.97, 2.0, 1.98)": short enough for one line at 80 columns. */
export function measurementText(m: Measurement): string {
  const head = `${m.label || 'result'}: ${formatValue(m.value, m.unit)}`;
  if (m.perSeed.length <= 1) return head;
  if (!m.perSeed.some(Number.isFinite)) return `${head} (none of ${m.perSeed.length} seeds produced one)`;
  return `${head} (mean; seeds ${m.perSeed.map((v) => (Number.isFinite(v) ? formatNumber(v) : 'none')).join(', ')})`;
}

function divergenceLines(r: ExperimentResults, say: Say): void {
  if (r.kind !== 'train') return;
  for (const run of r.runs) {
    if (run.status !== 'diverged') continue;
    const d = run.divergence;
    const where = d
      ? `at step ${d.step}${d.block ? `, first in ${d.block}` : ''}`
      : `after step ${run.lines[run.lines.length - 1]?.step ?? 0}`;
    say(`${run.label || 'The run'} diverged ${where}: its numbers stopped being finite.`, { color: 'yellow' });
  }
}

export function formatMeasure(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  if (Math.abs(v) >= 100) return v.toFixed(0);
  return String(Number(v.toPrecision(3)));
}

function formatCost(seconds: number): string {
  return seconds < 90 ? `${Math.round(seconds)} s` : `${Math.round(seconds / 60)} min`;
}
