/**
 * Grading a learner's answer to a question. The player passes what was typed; an answer that cannot
 * be read (a label that is not an option, a word for a number) is `invalid` and should not count as
 * an attempt.
 */
import type { Question } from './types.js';

export type Grade =
  | { readonly valid: true; readonly correct: boolean; /** The right answer, as it would be typed. */ readonly expected: string }
  | { readonly valid: false; /** What to type instead. */ readonly message: string };

/** Grades typed input: `c` (single), `a, c` (multiple, any order), `16` (numeric). */
export function gradeAnswer(q: Question, input: string): Grade {
  const text = input.trim();
  if (q.type === 'numeric') {
    const n = Number(text.replace(/,/g, ''));
    if (text === '' || !Number.isFinite(n)) return { valid: false, message: 'Type a number, e.g. 16 or 0.5.' };
    return { valid: true, correct: Math.abs(n - q.answer) <= q.tolerance, expected: String(q.answer) };
  }
  const labels = q.options.map((o) => o.label);
  const given = [...new Set(text.toLowerCase().split(/[\s,]+/).filter(Boolean).map((g) => g.replace(/[).]$/, '')))];
  const unknown = given.filter((g) => !labels.includes(g));
  if (given.length === 0 || unknown.length > 0) {
    return { valid: false, message: `Type ${q.type === 'single' ? 'one of' : 'one or more of'} ${labels.join(', ')}${q.type === 'multiple' ? ', separated by commas' : ''}.` };
  }
  if (q.type === 'single') {
    if (given.length > 1) return { valid: false, message: `Choose one answer: ${labels.join(', ')}.` };
    return { valid: true, correct: given[0] === q.answer.label, expected: q.answer.label };
  }
  const want = q.answers.map((a) => a.label);
  const correct = given.length === want.length && want.every((w) => given.includes(w));
  return { valid: true, correct, expected: want.join(', ') };
}
