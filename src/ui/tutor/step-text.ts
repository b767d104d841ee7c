import { renderMath, splitInline, type Charset } from '../../lessons/math.js';
import { sourceName, type Question, type Step } from '../../lessons/types.js';
import { wrapWords } from '../../util/wrap.js';

/**
 * The printable lines of a step (without its interactive parts), wrapped to `width`. Pure, so the
 * tutor can scroll long steps and tests can check what a step says.
 */
export function stepLines(step: Step, width: number, charset: Charset): string[] {
  const paragraphs = (text: string) =>
    text.split('\n').flatMap((para) => (para.trim() === '' ? [''] : proseLines(lessonProse(para.trim()), width, charset)));
  const bullet = charset === 'unicode' ? '•' : '*';
  switch (step.kind) {
    case 'text':
      return paragraphs(reflow(step.body));
    case 'math':
      return mathLines(
        step.equations.map((e) => e.tex),
        width,
        charset,
      );
    case 'summary':
      return step.items.flatMap((i) => proseLines(lessonProse(i.text), width, charset, `${bullet} `, '  '));
    case 'question':
      return questionLines(step.question, width, charset);
    case 'experiment': {
      const e = step.experiment;
      return proseLines(`Prediction (${sourceName(e.source)}): ${lessonProse(e.predict)}`, width, charset);
    }
    case 'chart':
      return [];
  }
}

// Stands for a space inside inline math while wrapping, so a formula never breaks across lines.
const GLUE = '\u001f';

/**
 * Prose with inline math, `*emphasis*` and `` `code` `` wrapped to `width`: math is rendered and kept
 * on one line, code stays whole (it can be copied), and the markers themselves are not printed.
 * Continuation lines start with `indent`.
 */
export function proseLines(text: string, width: number, charset: Charset, firstPrefix = '', indent = ''): string[] {
  const joined = splitInline(text)
    .map((part) => (part.math ? renderMath(part.text, charset).replace(/ /g, GLUE) : plainMarkup(part.text)))
    .join('');
  return wrapWords(joined, width, firstPrefix, indent).map((line) => line.replace(new RegExp(GLUE, 'g'), ' ').replace(/`([^`]*)`/g, '$1'));
}

/**
 * Lesson prose with a power written without dollar signs (`2^16`) made math (`$2^{16}$`), so it reads
 * as math does; inline math and `code` are left as written. Only for the lesson's own text: what the
 * learner typed is shown as typed.
 */
export function lessonProse(text: string): string {
  return splitInline(text)
    .map((part) =>
      part.math
        ? `$${part.text}$`
        : part.text
            .split(/(`[^`]*`)/)
            .map((p, i) =>
              i % 2 === 1 ? p : p.replace(/\b([A-Za-z0-9]+)\^([A-Za-z0-9]+)\b/g, (_, base: string, exp: string) => `$${base}^{${exp}}$`),
            )
            .join(''),
    )
    .join('');
}

/** `*word*` and `_word_` lose their markers; `\$` is a dollar sign. */
function plainMarkup(text: string): string {
  return text
    .replace(/\\\$/g, '$')
    .replace(/(^|[\s(["'])\*\*?([^*\s](?:[^*]*[^*\s])?)\*\*?(?=$|[\s).,;:!?'"\]])/g, '$1$2')
    .replace(/(^|[\s(["'])_([^_\s](?:[^_]*[^_\s])?)_(?=$|[\s).,;:!?'"\]])/g, '$1$2');
}

/**
 * Display equations, indented; a line that starts with `\qquad` continues the equation above and is
 * indented to sit under its right-hand side. A line wider than the pane wraps at a space, indented
 * the same way.
 */
export function mathLines(equations: readonly string[], width: number, charset: Charset): string[] {
  const out: string[] = [];
  let rhs = 4;
  for (const tex of equations) {
    const continued = /^\s*\\qquad\b/.test(tex);
    const rendered = renderMath(continued ? tex.replace(/^\s*\\qquad\s*/, '') : tex, charset);
    if (!continued) {
      out.push('');
      const eq = rendered.indexOf('= ');
      rhs = 4 + (eq >= 0 && eq < width / 2 ? eq + 2 : 4);
    }
    const lead = continued ? ' '.repeat(rhs) : '    ';
    for (const l of rendered.split('\n')) out.push(...wrapWords(l, width, lead, ' '.repeat(rhs + 2)));
  }
  out.push('');
  return out;
}

function questionLines(q: Question, width: number, charset: Charset): string[] {
  const out = proseLines(lessonProse(q.prompt), width, charset);
  if (q.type !== 'numeric') {
    out.push('');
    for (const o of q.options) {
      const head = `  ${o.label}) `;
      out.push(...proseLines(lessonProse(o.text), width, charset, head, ' '.repeat(head.length)));
    }
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
