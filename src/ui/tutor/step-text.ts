import { renderInline, renderMath, type Charset } from '../../lessons/math.js';
import { sourceName, type Question, type Step } from '../../lessons/types.js';
import { wrapText } from '../dashboard/format.js';

/**
 * The printable lines of a step (without its interactive parts), wrapped to `width`. Pure, so the
 * tutor can scroll long steps and tests can check what a step says.
 */
export function stepLines(step: Step, width: number, charset: Charset): string[] {
  const wrap = (text: string) =>
    text.split('\n').flatMap((para) => (para.trim() === '' ? [''] : wrapText(renderInline(para.trim(), charset), width)));
  switch (step.kind) {
    case 'text':
      return wrap(reflow(step.body));
    case 'math':
      return step.equations
        .flatMap((e) => [
          '',
          ...renderMath(e.tex, charset)
            .split('\n')
            .map((l) => `    ${l}`),
        ])
        .concat('');
    case 'summary':
      return step.items.flatMap((i) => wrapText(`${charset === 'unicode' ? '•' : '*'} ${renderInline(i.text, charset)}`, width));
    case 'question':
      return questionLines(step.question, width, charset);
    case 'experiment': {
      const e = step.experiment;
      const lines = [...wrap(`Prediction (${sourceName(e.source)}): ${e.predict}`)];
      return lines;
    }
    case 'chart':
      return [];
  }
}

function questionLines(q: Question, width: number, charset: Charset): string[] {
  const out = wrapText(renderInline(q.prompt, charset), width);
  if (q.type !== 'numeric') {
    out.push('');
    for (const o of q.options) out.push(...wrapText(`  ${o.label}) ${renderInline(o.text, charset)}`, width));
  }
  return out;
}

/** Markdown paragraphs: single newlines inside a paragraph join lines; blank lines separate them. */
function reflow(body: string): string {
  return body
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s*\n\s*/g, ' '))
    .join('\n\n');
}
