/**
 * The lesson screen's one layout rule: a header line, the step's title, the body, a footer. The
 * body is every line the step has (text, answer field, experiment, chart), and the screen shows the
 * `rows` of it that fit, from `scroll`, with a marker when more lies below or above. Pure, so tests
 * and the reducer's scroll limits see the same layout.
 */
import type { Charset } from '../../lessons/math.js';
import type { Lesson } from '../../lessons/types.js';
import { chartLines } from './chart-lines.js';
import { chartOf } from './chart-model.js';
import { experimentLines, type Line } from './experiment-lines.js';
import { lessonResults, type TutorState } from './state.js';
import { lessonProse, proseLines, stepLines } from './step-text.js';

export type { Line };

export interface Look {
  readonly color: boolean;
  readonly unicode: boolean;
  readonly charset: Charset;
}

/** Lines above and below the body: header, title, footer. */
export const CHROME_LINES = 3;

export function bodyLines(state: TutorState, lesson: Lesson, width: number, rows: number, look: Look): Line[] {
  const step = lesson.steps[state.step]!;
  const text: Line[] = stepLines(step, width, look.charset).map((t) => ({ text: t }));
  const say = (out: Line[], t: string, style: Omit<Line, 'text'> = {}) =>
    proseLines(t, width, look.charset, '', '  ').forEach((l) => out.push({ ...style, text: l }));
  switch (step.kind) {
    case 'chart': {
      const drawn = chartOf(step.chart, lesson, lessonResults(state));
      if (drawn.kind === 'missing') {
        const out: Line[] = [];
        say(out, drawn.message, { color: 'yellow' });
        return out;
      }
      return chartLines(drawn, width, rows, look).map((t) => ({ text: t, fitted: true }));
    }
    case 'question': {
      const out = [...text, { text: '' }];
      const q = step.question;
      const f = state.feedback;
      const prompt =
        q.type === 'numeric'
          ? `Your answer${q.unit ? ` (${q.unit})` : ''}: `
          : q.type === 'single'
            ? 'Your choice: '
            : 'Your choices (toggle letters): ';
      out.push({ text: `${prompt}${state.input}${f?.kind === 'graded' ? '' : '_'}`, bold: true });
      if (f?.kind === 'try-again')
        say(out, `Not yet: ${f.given} is not it. Try again with the hint below (→ skips).`, { color: 'yellow', bold: true });
      if (state.hint) say(out, `Hint: ${lessonProse(q.hint)}`, { color: 'yellow' });
      if (f?.kind === 'invalid') say(out, f.message, { color: 'yellow' });
      if (f?.kind === 'graded') {
        if (f.earlier) say(out, `You answered ${f.given} earlier (r answers again).`, { dim: true });
        say(out, f.correct ? 'Right.' : `Not quite: the answer is ${f.expected}.`, { color: f.correct ? 'green' : 'red', bold: true });
        say(out, lessonProse(q.explain));
      }
      return out;
    }
    case 'experiment': {
      if (!state.experiment) return text;
      return experimentLines(state.experiment, step.experiment, lesson, width, rows, text, look);
    }
    case 'text':
    case 'math':
    case 'summary':
      return text;
  }
}

/** The visible window of the body: `rows` lines at most, the last one a marker when more lies beyond. */
export function visibleBody(
  body: readonly Line[],
  rows: number,
  scroll: number,
  unicode: boolean,
): { lines: Line[]; maxScroll: number; page: number } {
  if (body.length <= rows) return { lines: [...body], maxScroll: 0, page: rows };
  const page = Math.max(1, rows - 1);
  const maxScroll = body.length - page;
  const from = Math.max(0, Math.min(scroll, maxScroll));
  const below = body.length - from - page;
  const up = unicode ? '↑' : '^';
  const down = unicode ? '↓' : 'v';
  const marker =
    below > 0
      ? `${down} ${below} more line${below === 1 ? '' : 's'} below: j/${down} scrolls, PgDn pages, End goes to the end`
      : `${up} end of the step; k/${up} scrolls back, Home goes to the top`;
  return { lines: [...body.slice(from, from + page), { text: marker, dim: true }], maxScroll, page };
}
