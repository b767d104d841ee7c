import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bodyText, fieldText, parseLesson } from '../../src/lessons/parse.js';
import { formatProblem } from '../../src/lessons/types.js';

const FRONT = ['---', 'format: 1', 'id: x', 'number: 1', 'title: T', 'summary: S', 'minutes: 5', '---'];

/** A lesson text from lines; the front matter takes lines 1-8. */
function lesson(...lines: string[]): string {
  return [...FRONT, ...lines].join('\n');
}

function messages(text: string): string[] {
  return parseLesson(text, 'l.md').problems.map(formatProblem);
}

describe('parseLesson', () => {
  it('reads the front matter and steps, keeping every line number', () => {
    const { lesson: raw, problems } = parseLesson(
      lesson(
        '', // 9
        '::: text Welcome', // 10
        'First line.', // 11
        '', // 12
        'Second paragraph.', // 13
        ':::', // 14
        '<!-- a comment', // 15
        'over two lines -->', // 16
        '::: question', // 17
        'type: single', // 18
        'prompt: Which', // 19
        '  one?', // 20
        'options:', // 21
        '  a) this', // 22
        '  b) that', // 23
        'answer: a', // 24
        ':::', // 25
      ),
      'l.md',
    );
    expect(problems).toEqual([]);
    expect(raw!.frontMatterLine).toBe(1);
    expect(raw!.frontMatter.map((f) => [f.key, f.value, f.line])).toEqual([
      ['format', '1', 2],
      ['id', 'x', 3],
      ['number', '1', 4],
      ['title', 'T', 5],
      ['summary', 'S', 6],
      ['minutes', '5', 7],
    ]);
    const [text, question] = raw!.steps;
    expect(text).toMatchObject({ kind: 'text', title: 'Welcome', line: 10 });
    expect(text!.body.map((l) => [l.text, l.line, l.afterBlank])).toEqual([
      ['First line.', 11, false],
      ['Second paragraph.', 13, true],
    ]);
    expect(bodyText(text!.body)).toBe('First line.\n\nSecond paragraph.');
    expect(question).toMatchObject({ kind: 'question', title: '', line: 17, body: [] });
    const fields = Object.fromEntries(question!.fields.map((f) => [f.key, f]));
    expect(fields.prompt!.line).toBe(19);
    expect(fieldText(fields.prompt!)).toBe('Which one?');
    expect(fields.options!.more.map((l) => [l.text, l.line])).toEqual([
      ['a) this', 22],
      ['b) that', 23],
    ]);
    expect(fields.answer).toMatchObject({ value: 'a', line: 24 });
  });

  it('joins continuation lines with spaces and keeps paragraph breaks', () => {
    const { lesson: raw } = parseLesson(lesson('::: question', 'explain: One', '  two', '', '  three', ':::'), 'l.md');
    expect(fieldText(raw!.steps[0]!.fields[0]!)).toBe('One two\n\nthree');
  });

  it('removes quotes around values and accepts snake_case keys', () => {
    const { lesson: raw } = parseLesson(lesson('::: experiment', 'title: "Quoted: yes"', 'batch_size: 32', ':::'), 'l.md');
    expect(raw!.steps[0]!.fields.map((f) => [f.key, f.value])).toEqual([
      ['title', 'Quoted: yes'],
      ['batch-size', '32'],
    ]);
  });

  it('reports a missing or unclosed front matter block', () => {
    expect(messages('::: text\nhi\n:::')).toEqual([
      'l.md:1: a lesson file starts with a front matter block: a `---` line, `format: 1`, `id`, `number`, `title`, `summary`, `minutes`, and a closing `---` line',
    ]);
    expect(messages('---\nformat: 1\n\n::: text\nhi\n:::')).toEqual([
      'l.md:1: the front matter block opened here is not closed: end it with a `---` line before the first step',
    ]);
    expect(parseLesson('', 'l.md').lesson).toBeNull();
  });

  it('reports an unknown step kind and skips its body', () => {
    expect(messages(lesson('::: quiz', 'prompt: What?', ':::', '::: text', 'ok', ':::'))).toEqual([
      'l.md:9: unknown step kind "quiz" (known: text, math, question, experiment, chart, summary)',
    ]);
    const { lesson: raw } = parseLesson(lesson('::: quiz', 'prompt: What?', ':::', '::: text', 'ok', ':::'), 'l.md');
    expect(raw!.steps.map((s) => s.kind)).toEqual(['text']);
  });

  it('reports an unclosed step at its opening line', () => {
    expect(messages(lesson('::: text', 'never closed', '::: math', 'x', ':::'))).toEqual([
      'l.md:9: the text step opened here is not closed: add a `:::` line before the next step (line 11)',
    ]);
    expect(messages(lesson('', '::: summary', '- a point'))).toEqual([
      'l.md:10: the summary step opened here is not closed: add a `:::` line at its end',
    ]);
  });

  it('reports text outside steps once per run of lines, and a stray closing line', () => {
    expect(messages(lesson('# A heading', 'more', '', ':::'))).toEqual([
      'l.md:9: text outside a step: put it inside a step (`::: text` on the line before, `:::` after), or in a `<!-- comment -->`',
      'l.md:12: `:::` closes no step: a step starts with a header such as `::: text`',
    ]);
  });

  it('reports malformed headers, field lines, duplicate fields and stray indentation', () => {
    expect(messages(lesson('::: {.note}', ':::'))).toEqual([
      'l.md:9: malformed step header `::: {.note}`: write `::: kind` with kind one of text, math, question, experiment, chart, summary',
    ]);
    expect(messages(lesson('::: question', '  indented first', 'type: single', 'this is not a field', 'type: multiple', ':::'))).toEqual([
      'l.md:10: indented line before any field: start the step with a `key: value` line',
      'l.md:12: expected a `key: value` field, got `this is not a field` (indent a line to continue the field above)',
      'l.md:13: field `type` is given twice (first at line 11)',
    ]);
  });

  it('keeps free steps verbatim but without comment lines', () => {
    const { lesson: raw } = parseLesson(lesson('::: math', 'h_1 = x', '<!-- note -->', 'key: looks like a field', ':::'), 'l.md');
    expect(raw!.steps[0]!.body.map((l) => l.text)).toEqual(['h_1 = x', 'key: looks like a field']);
  });

  it('parses every fixture lesson file into steps (syntax only)', () => {
    const text = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'lessons', '01-tiny.md'), 'utf8');
    const { lesson: raw, problems } = parseLesson(text, '01-tiny.md');
    expect(problems).toEqual([]);
    expect(raw!.steps.map((s) => `${s.kind}@${s.line}`)).toEqual([
      'text@12',
      'math@18',
      'question@23',
      'question@37',
      'question@51',
      'experiment@61',
      'chart@88',
      'summary@93',
    ]);
  });
});
