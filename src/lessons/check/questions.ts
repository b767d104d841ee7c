/**
 * Question steps: a known type with its fields, a numeric answer with a positive tolerance, or
 * labelled options with the answer among them (one for `single`, one or more for `multiple`).
 */
import { fieldText, type RawField, type RawStep } from '../parse.js';
import { QUESTION_TYPES, type AnswerRef, type Option, type Question } from '../types.js';
import { fieldMap, idOf, mathIn, required, textOf, unknownFields, type Reporter } from './fields.js';

const QUESTION_COMMON = ['type', 'id', 'prompt', 'hint', 'explain', 'answer'] as const;
const QUESTION_FIELDS = {
  single: [...QUESTION_COMMON, 'options'],
  multiple: [...QUESTION_COMMON, 'options'],
  numeric: [...QUESTION_COMMON, 'tolerance', 'unit'],
} as const;

type Common = Pick<Question, 'key' | 'line' | 'prompt' | 'hint' | 'explain'>;

export function buildQuestion(s: RawStep, index: number, r: Reporter): Question | null {
  const fm = fieldMap(s.fields);
  const before = r.errors;
  const t = questionType(s, fm, r);
  if (!t) return null;
  unknownFields(r, s.fields, QUESTION_FIELDS[t], `a ${t} question`);
  const key = idOf(r, fm, index);
  const prompt = required(r, fm, 'prompt', s.line, 'question', 'what to ask');
  const hint = required(r, fm, 'hint', s.line, 'question', 'a nudge shown on request');
  const explain = required(r, fm, 'explain', s.line, 'question', 'why the answer is right, shown after answering');
  const common = { key, line: s.line, prompt, hint, explain };
  if (t === 'numeric') return numericQuestion(s, fm, r, common, before);

  const options = choiceOptions(s, fm, r, t);
  const refs = choiceAnswers(s, fm, r, t, options);
  if (r.errors > before) return null;
  refs.sort((a, b) => a.index - b.index);
  if (t === 'single') return { type: 'single', ...common, options, answer: refs[0]! };
  return { type: 'multiple', ...common, options, answers: refs };
}

function questionType(s: RawStep, fm: Map<string, RawField>, r: Reporter): Question['type'] | null {
  const typeField = fm.get('type');
  const type = textOf(typeField);
  if (!typeField || type === '') {
    r.error(s.line, `question has no \`type\` (one of ${QUESTION_TYPES.join(', ')})`);
    return null;
  }
  if (!(QUESTION_TYPES as readonly string[]).includes(type)) {
    r.error(typeField.line, `unknown question type "${type}" (known: ${QUESTION_TYPES.join(', ')})`);
    return null;
  }
  return type as Question['type'];
}

function numericQuestion(s: RawStep, fm: Map<string, RawField>, r: Reporter, common: Common, before: number): Question | null {
  const answerField = fm.get('answer');
  const answerText = textOf(answerField);
  let answer = NaN;
  if (!answerField || answerText === '') r.error(s.line, 'question has no answer: add `answer: <number>`');
  else {
    answer = Number(answerText);
    if (!Number.isFinite(answer)) r.error(answerField.line, `numeric answer must be a number; got "${answerText}"`);
  }
  const tolField = fm.get('tolerance');
  let tolerance = NaN;
  if (!tolField) r.error(s.line, 'numeric question has no `tolerance` (a positive number: how far off a right answer may be)');
  else {
    const v = fieldText(tolField);
    tolerance = Number(v);
    if (!Number.isFinite(tolerance) || tolerance <= 0) r.error(tolField.line, `numeric tolerance must be positive; got "${v}"`);
  }
  const unit = textOf(fm.get('unit'));
  if (r.errors > before) return null;
  return { type: 'numeric', ...common, answer, tolerance, unit };
}

/** The indented `a) text` (or `- text`) lines below `options:`; an unlabelled line continues the one above. */
function choiceOptions(s: RawStep, fm: Map<string, RawField>, r: Reporter, t: 'single' | 'multiple'): Option[] {
  const optionsField = fm.get('options');
  const options: Option[] = [];
  if (!optionsField) {
    r.error(
      s.line,
      `${t === 'single' ? 'single-choice' : 'multiple-choice'} question has no \`options\` (indented lines \`a) ...\`, \`b) ...\` below \`options:\`)`,
    );
    return options;
  }
  if (optionsField.value !== '') r.error(optionsField.line, 'put each option on its own indented line below `options:`');
  for (const l of optionsField.more) {
    const m = /^([A-Za-z])[).]\s+(.*)$/.exec(l.text) ?? /^-\s+(.*)$/.exec(l.text);
    if (!m) {
      const last = options[options.length - 1];
      if (last) options[options.length - 1] = { ...last, text: `${last.text} ${l.text}` };
      else r.error(l.line, `options start with a label: \`a) text\` (or \`- text\`, labelled a, b, ... in order); got \`${l.text}\``);
      continue;
    }
    const label = m.length === 3 ? m[1]!.toLowerCase() : String.fromCharCode(97 + options.length);
    const text = (m.length === 3 ? m[2]! : m[1]!).trim();
    const dup = options.find((o) => o.label === label);
    if (dup) r.error(l.line, `option label "${label}" is used twice (first at line ${dup.line})`);
    options.push({ label, text, line: l.line });
  }
  for (const o of options) mathIn(r, o.line, o.text);
  if (options.length < 2) r.error(optionsField.line, `a choice question needs at least 2 options; found ${options.length}`);
  return options;
}

/** The labels given in `answer:`, each among the options and given once (in the order written). */
function choiceAnswers(
  s: RawStep,
  fm: Map<string, RawField>,
  r: Reporter,
  t: 'single' | 'multiple',
  options: readonly Option[],
): AnswerRef[] {
  const answerField = fm.get('answer');
  const answerText = textOf(answerField);
  const refs: AnswerRef[] = [];
  if (!answerField || answerText === '') {
    r.error(s.line, `question has no answer: add \`answer: <label>\`${t === 'multiple' ? ' (several separated by commas)' : ''}`);
    return refs;
  }
  const labels = options.map((o) => o.label);
  const given = answerText
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((a) => a.replace(/[).]$/, '').toLowerCase());
  if (t === 'single' && given.length > 1) {
    r.error(answerField.line, `a single-choice question has one answer; got "${answerText}" (use \`type: multiple\` for several)`);
  }
  for (const g of given) {
    const i = labels.indexOf(g);
    if (i < 0) {
      if (options.length > 0) r.error(answerField.line, `question has no answer among its options (answer "${g}", options ${labelRange(labels)})`);
    } else if (refs.some((x) => x.index === i)) {
      r.error(answerField.line, `answer "${g}" is given twice`);
    } else refs.push({ index: i, label: g });
  }
  return refs;
}

/** `a-d` when the labels run from a without gaps, else `a, b, x`. */
function labelRange(labels: readonly string[]): string {
  if (labels.length === 0) return 'none';
  const run = labels.every((l, i) => l === String.fromCharCode(97 + i));
  return run && labels.length > 2 ? `${labels[0]}-${labels[labels.length - 1]}` : labels.join(', ');
}
