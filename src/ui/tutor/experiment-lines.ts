/**
 * The lines of an experiment step under its prediction: what will run, the live runs, and at the end
 * the verdict, the measured numbers with their units, the decisive chart and the probe's details, all
 * laid out for the pane's width. Pure: the view only slices and paints them.
 */
import type { ExperimentResults, Measurement, Verdict } from '../../lessons/results.js';
import type { Experiment, Lesson } from '../../lessons/types.js';
import { renderProbe } from '../../probes/render.js';
import { clipText, num } from '../dashboard/format.js';
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
  failed: (error: string) => `The experiment failed: ${error}. Enter tries again.`,
  saved: (at: string) =>
    `Your results from ${at ? at.slice(0, 16).replace('T', ' ') : 'an earlier session'} (saved): r runs it again, Enter moves on.`,
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
  used: number,
  look: ChartLook & { charset: 'unicode' | 'ascii' },
): Line[] {
  const out: Line[] = [];
  const say = (text: string, style: Omit<Line, 'text'> = {}) =>
    proseLines(text, width, look.charset, '', '  ').forEach((t) => out.push({ ...style, text: t }));
  const variant = exp.quick;
  if (e.status === 'idle') {
    say(`Runs: ${variant.runs.map((r) => r.label || exp.title).join(', ')} · about ${formatCost(variant.cost)} here.`);
    say(EXPERIMENT_TEXT.run, { color: 'cyan', bold: true });
    return out;
  }
  out.push({ text: '' });
  if (e.status === 'done') {
    if (e.savedAt !== undefined) say(EXPERIMENT_TEXT.saved(e.savedAt), { dim: true });
    if (e.verdict) verdictLines(e.verdict, say);
    measuredLines(e, exp, say);
    if (e.results) divergenceLines(e.results, say);
    if (e.savedAt === undefined) say(EXPERIMENT_TEXT.again, { dim: true });
  }
  for (const r of e.status === 'done' ? [] : e.runs) {
    const last = r.lines[r.lines.length - 1];
    const where = last ? `step ${last.step}/${r.totalSteps}  loss ${num(last.loss, 3)}` : '';
    out.push({ text: clipText(`  ${(r.label || 'run').padEnd(18)} ${where}  ${r.status}`, width) });
  }
  if (e.message && e.status !== 'done') say(e.message, { dim: true });
  if (e.status === 'paused') say(EXPERIMENT_TEXT.paused, { color: 'yellow' });
  if (e.status === 'failed') say(EXPERIMENT_TEXT.failed(e.error), { color: 'red' });
  if (e.status === 'skipped') say(EXPERIMENT_TEXT.skipped, { color: 'yellow' });

  // The chart: the lesson's own chart of this experiment when there is one, else the default.
  const chart = decisiveChart(e, exp, lesson);
  if (chart) {
    const lines = Math.max(MIN_CHART_LINES, room - used - out.length - 1);
    out.push({ text: chart.title, bold: true });
    for (const t of chartLines(chart, width, lines, look)) out.push({ text: t, fitted: true });
  }
  if (e.results?.kind === 'probe') {
    for (const run of e.results.runs) {
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
    const { shape, examples } = mergeRunPredictions(e.predictions);
    for (const t of renderSegmentationGrids(examples, shape, { ascii: look.charset === 'ascii' })) out.push({ text: t });
  }
  return out;
}

function decisiveChart(e: ExperimentState, exp: Experiment, lesson: Lesson): ChartData | null {
  if (e.predictions && e.predictions.length > 0) return null; // the masks need the room more
  if (e.status !== 'done' && exp.kind === 'train') {
    const live = e.runs.filter((r) => r.lines.length > 0);
    if (live.length === 0) return null;
    return trainChart(
      live.map((r) => ({ label: r.label, seed: 0, runId: r.id, status: 'running', lines: r.lines })),
      'loss',
      'Training loss so far',
    );
  }
  if (!e.results) return null;
  const own = lesson.steps.find((s) => s.kind === 'chart' && s.chart.source === 'experiment' && s.chart.experiment === exp.key);
  const metric =
    own?.kind === 'chart' && own.chart.source === 'experiment'
      ? own.chart.metric
      : DEFAULT_METRIC[exp.kind === 'train' ? 'train' : exp.probe];
  const title = own?.kind === 'chart' && own.chart.title ? own.chart.title : exp.title;
  const drawn = chartOf({ source: 'experiment', experiment: exp.key, metric, title, scale: 'linear', line: 0 }, lesson, {
    [exp.key]: e.results,
  });
  return drawn.kind === 'missing' ? null : drawn;
}

type Say = (text: string, style?: Omit<Line, 'text'>) => void;

function verdictLines(v: Verdict, say: Say): void {
  const color = v.outcome === 'held' ? 'green' : v.outcome === 'not-held' ? 'red' : 'yellow';
  say(`[${EXPERIMENT_TEXT.outcome[v.outcome]}] ${v.headline}`, { color, bold: true });
  for (const d of v.details) say(`  ${d}`);
  if (v.caveat) say(v.caveat, { color: 'yellow' });
}

/** The measured numbers with their units and, over several seeds, each seed's value and the spread. */
function measuredLines(e: ExperimentState, exp: Experiment, say: Say): void {
  if (e.measurements && e.measurements.length > 0) {
    say(`Measured (${exp.measure}):`, { bold: !e.verdict });
    for (const m of e.measurements) say(`  ${measurementText(m)}`);
    return;
  }
  const measured = e.measured.map((m) => `${m.label || 'result'} ${formatMeasure(m.value)}`).join(', ');
  say(`Measured (${exp.measure}): ${measured}.`, { color: 'green', bold: true });
}

export function measurementText(m: Measurement): string {
  const unit = (v: number) => `${formatMeasure(v)}${m.unit ? (m.unit === '%' ? '%' : ` ${m.unit}`) : ''}`;
  const head = `${m.label || 'result'}: ${unit(m.value)}`;
  if (m.perSeed.length <= 1) return head;
  const finite = m.perSeed.filter(Number.isFinite);
  const spread = finite.length > 1 ? `, spread ${formatMeasure(Math.min(...finite))} to ${formatMeasure(Math.max(...finite))}` : '';
  return `${head} (mean of ${m.perSeed.length} seeds: ${m.perSeed.map(formatMeasure).join(', ')}${spread})`;
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
