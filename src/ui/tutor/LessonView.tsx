import { Box, Text } from 'ink';
import type { Charset } from '../../lessons/math.js';
import { renderInline } from '../../lessons/math.js';
import type { Lesson } from '../../lessons/types.js';
import { ChartText } from '../dashboard/ChartText.js';
import { clipText, num, wrapText } from '../dashboard/format.js';
import { lossChart } from '../dashboard/series.js';
import type { RunView } from '../dashboard/state.js';
import { toAscii } from '../terminal.js';
import type { TutorState } from './state.js';
import { stepLines } from './step-text.js';
import { mergeRunPredictions, renderSegmentationGrids } from './segmentation-grid.js';

export type Props = {
  readonly state: TutorState;
  readonly lesson: Lesson;
  readonly columns: number;
  readonly rows: number;
  readonly color: boolean;
  readonly unicode: boolean;
};

/** One step of a lesson: its text, math, question or experiment, and the keys that apply. */
export function LessonView({ state, lesson, columns, rows, color, unicode }: Props) {
  const width = columns - 1;
  const charset: Charset = unicode ? 'unicode' : 'ascii';
  const step = lesson.steps[state.step];
  const kindName = step.kind === 'question' ? 'question' : step.kind === 'experiment' ? 'experiment' : step.kind;
  const header = `Lesson ${lesson.number} · ${lesson.title}`;
  const where = `step ${state.step + 1}/${lesson.steps.length} · ${kindName}`;
  const title = step.title ? renderInline(step.title, charset) : step.kind === 'experiment' ? step.experiment.title : '';
  // A probe's chart and table get the room the step's text leaves.
  const extra = interactive(state, lesson, width, charset, Math.max(8, rows - 12));
  const chart =
    step.kind === 'experiment' &&
    state.experiment &&
    state.experiment.runs.length > 0 &&
    state.experiment.runs.some((r) => r.lines.length > 0) &&
    // The masks need the room more than the loss curve (a chart step can draw it).
    !(state.experiment.predictions && state.experiment.predictions.length > 0);
  const chartLines = chart ? Math.max(6, Math.min(12, rows - 14)) : 0;
  // Header (2), title, footer, a spare line; the rest is the step's text plus its interactive part.
  const room = Math.max(3, rows - 5 - (title ? 1 : 0) - chartLines - extra.length);
  const body = stepLines(step, width, charset);
  const scroll = Math.min(state.scroll, Math.max(0, body.length - room));
  const visible = body.slice(scroll, scroll + room);
  const more = body.length > scroll + room;
  const keys = footerKeys(state);
  const fix = (t: string) => (unicode ? t : toAscii(t));
  return (
    <Box flexDirection="column" width={columns}>
      <Box width={width} justifyContent="space-between">
        <Text bold>{clipText(fix(header), Math.max(10, width - where.length - 2))}</Text>
        <Text dimColor>{where}</Text>
      </Box>
      {title ? (
        <Text bold color={color ? 'cyan' : undefined}>
          {fix(clipText(title, width))}
        </Text>
      ) : null}
      <Text> </Text>
      {visible.map((l, i) => (
        <Text key={i}>{fix(l) || ' '}</Text>
      ))}
      {more ? <Text dimColor>{fix(`↓ more: j/↓ to scroll (${body.length - scroll - room} lines)`)}</Text> : null}
      {chart ? (
        <ChartText
          spec={lossChart(state.experiment!.runs.map(asRunView), 0.6, false)}
          width={width}
          lines={chartLines}
          color={color}
          unicode={unicode}
        />
      ) : null}
      {extra.map((e, i) => (
        <Text key={`x${i}`} color={color ? e.color : undefined} bold={e.bold}>
          {fix(clipText(e.text, width)) || ' '}
        </Text>
      ))}
      <Text inverse>{fix(clipText(keys, width)).padEnd(width)}</Text>
    </Box>
  );
}

interface ExtraLine {
  readonly text: string;
  readonly color?: string;
  readonly bold?: boolean;
}

/** The lines under the text: the answer being typed and its feedback, or the experiment's state. */
function interactive(state: TutorState, lesson: Lesson, width: number, charset: Charset, probeLines: number): ExtraLine[] {
  const step = lesson.steps[state.step];
  const out: ExtraLine[] = [];
  const wrap = (text: string, color?: string, bold?: boolean) =>
    wrapText(renderInline(text, charset), width).forEach((t) => out.push({ text: t, color, bold }));
  if (step.kind === 'question') {
    const q = step.question;
    const prompt =
      q.type === 'numeric'
        ? `Your answer${q.unit ? ` (${q.unit})` : ''}: `
        : q.type === 'single'
          ? 'Your choice: '
          : 'Your choices (toggle letters): ';
    out.push({ text: `${prompt}${state.input}${state.feedback?.kind === 'graded' ? '' : '_'}`, bold: true });
    if (state.hint) wrap(`Hint: ${q.hint}`, 'yellow');
    const f = state.feedback;
    if (f?.kind === 'invalid') wrap(f.message, 'yellow');
    if (f?.kind === 'graded') {
      wrap(f.correct ? 'Right.' : `Not quite: the answer is ${f.expected}.`, f.correct ? 'green' : 'red', true);
      wrap(q.explain);
    }
  }
  if (step.kind === 'experiment' && state.experiment) {
    const e = state.experiment;
    const exp = step.experiment;
    const variant = exp.quick;
    if (e.status === 'idle') {
      wrap(`Runs: ${variant.runs.map((r) => r.label || exp.title).join(', ')} · about ${formatCost(variant.cost)} here.`);
      wrap('Press Enter to run it (s skips).', 'cyan', true);
    } else {
      for (const r of e.runs) {
        const last = r.lines[r.lines.length - 1];
        out.push({
          text: `  ${(r.label || 'run').padEnd(16)} ${last ? `step ${last.step}/${r.totalSteps}  loss ${num(last.loss, 3)}` : r.status}  ${r.status}`,
        });
      }
      if (e.probeText) {
        const lines = e.probeText.split('\n').filter((l) => l.trim() !== '');
        for (const l of lines.slice(0, probeLines)) out.push({ text: l });
      }
      if (e.predictions && e.predictions.length > 0) {
        // `show: segmentation`: input | target | each run's prediction, as many examples as fit.
        const { shape, examples } = mergeRunPredictions(e.predictions);
        const lines = renderSegmentationGrids(examples, shape, { ascii: charset === 'ascii' });
        const fit = Math.max(shape[0] + 1, probeLines);
        for (const l of lines.slice(0, fit)) out.push({ text: l });
        if (lines.length > fit) out.push({ text: `(${examples.length} examples; a taller terminal shows them all)` });
      }
      if (e.message && e.status !== 'done') wrap(e.message, undefined);
      if (e.status === 'paused') wrap('Paused: p resumes, s skips.', 'yellow');
      if (e.status === 'failed') wrap(`The experiment failed: ${e.error}. Enter tries again.`, 'red');
      if (e.status === 'skipped') wrap('Skipped. → moves on.', 'yellow');
      if (e.status === 'done') {
        const measured = e.measured.map((m) => `${m.label || 'result'} ${formatMeasure(m.value)}`).join(', ');
        wrap(`Measured (${exp.measure}): ${measured}. Compare with the prediction above.`, 'green', true);
      }
    }
  }
  return out;
}

function asRunView(r: TutorState['experiment'] extends infer E ? (E extends { runs: readonly (infer R)[] } ? R : never) : never): RunView {
  return {
    id: r.id,
    label: r.label || 'run',
    title: '',
    batchSize: 1,
    backend: null,
    units: [],
    progress: null,
    status: 'running',
    lines: r.lines,
    lastCheckpoint: null,
  };
}

function formatMeasure(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  if (Math.abs(v) >= 100) return v.toFixed(0);
  return v.toPrecision(3);
}

function formatCost(seconds: number): string {
  return seconds < 90 ? `${Math.round(seconds)} s` : `${Math.round(seconds / 60)} min`;
}

function footerKeys(state: TutorState): string {
  const step = state.lessons[state.lessonIndex].steps[state.step];
  const nav = '← back · → next · q menu';
  if (step.kind === 'question') {
    if (state.feedback?.kind === 'graded') return `r retry · ${nav}`;
    const typing =
      step.question.type === 'numeric' ? 'type a number' : step.question.type === 'single' ? 'choose a letter' : 'toggle letters';
    return `${typing} · Enter answer · h hint · ${nav}`;
  }
  if (step.kind === 'experiment') {
    const s = state.experiment?.status ?? 'idle';
    if (s === 'running' || s === 'paused') return 'p pause/resume · s skip (keeps a checkpoint)';
    if (s === 'idle' || s === 'failed') return `Enter run · s skip · ${nav}`;
  }
  return `Enter/→ next · ← back · j/k scroll · q menu`;
}
