/**
 * One step of a lesson: text, math and summary steps checked here, questions, experiments and
 * charts by their own modules.
 */
import { mathProblems } from '../math.js';
import type { RawLine, RawStep } from '../parse.js';
import type { Experiment, Step } from '../types.js';
import { buildChart } from './charts.js';
import { buildExperiment } from './experiments.js';
import { mathIn, type CheckContext, type Reporter } from './fields.js';
import { buildQuestion } from './questions.js';

/** The experiments a chart may refer to: those built so far, and the keys of all declared so far. */
export interface EarlierExperiments {
  readonly experiments: ReadonlyMap<string, Experiment>;
  readonly declared: ReadonlySet<string>;
}

export function buildStep(s: RawStep, index: number, r: Reporter, ctx: CheckContext, earlier: EarlierExperiments): Step | null {
  const base = { line: s.line, title: s.title };
  mathIn(r, s.line, s.title);
  switch (s.kind) {
    case 'text': {
      if (s.body.length === 0) {
        r.error(s.line, 'text step is empty');
        return null;
      }
      for (const l of s.body) mathIn(r, l.line, l.text);
      return { kind: 'text', ...base, body: bodyText(s.body) };
    }
    case 'math': {
      if (s.body.length === 0) {
        r.error(s.line, 'math step is empty: write one equation per line');
        return null;
      }
      for (const l of s.body) for (const m of mathProblems(l.text)) r.error(l.line, m);
      return { kind: 'math', ...base, equations: s.body.map((l) => ({ tex: l.text.trim(), line: l.line })) };
    }
    case 'summary':
      return { kind: 'summary', ...base, items: summaryItems(s, r) };
    case 'question': {
      const question = buildQuestion(s, index, r);
      return question ? { kind: 'question', ...base, question } : null;
    }
    case 'experiment': {
      const experiment = buildExperiment(s, index, r, ctx);
      return experiment ? { kind: 'experiment', ...base, experiment } : null;
    }
    case 'chart': {
      const chart = buildChart(s, r, earlier.experiments, earlier.declared);
      return chart ? { kind: 'chart', ...base, chart } : null;
    }
  }
}

/** A text step's lines, with a blank line kept as a paragraph break. */
function bodyText(lines: readonly RawLine[]): string {
  return lines.map((l) => (l.afterBlank ? `\n${l.text}` : l.text)).join('\n');
}

/** `- ` bullets; an indented line continues the item above. */
function summaryItems(s: RawStep, r: Reporter): { text: string; line: number }[] {
  const items: { text: string; line: number }[] = [];
  for (const l of s.body) {
    const bullet = /^\s*[-*]\s+(.*)$/.exec(l.text);
    if (bullet) items.push({ text: bullet[1]!.trim(), line: l.line });
    else if (items.length > 0 && /^\s/.test(l.text)) items[items.length - 1]!.text += ` ${l.text.trim()}`;
    else r.error(l.line, 'summary items start with `- ` (indent a line to continue the item above)');
    mathIn(r, l.line, l.text);
  }
  if (items.length === 0 && s.body.length === 0) r.error(s.line, 'summary step is empty: list the take-aways as `- ` lines');
  return items;
}
