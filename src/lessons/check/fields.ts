/**
 * What every part of the lesson check shares: the reporter that collects problems with their line,
 * and the small readers of a step's `key: value` fields (lookup, unknown keys, required text, ids).
 */
import { inlineMathProblems } from '../math.js';
import { fieldText, type RawField } from '../parse.js';
import type { Problem } from '../types.js';

/** Lesson and step ids: lower-case words joined by hyphens. */
export const ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export interface CheckContext {
  /** Path as shown in messages. */
  readonly file: string;
  /** Absolute path. */
  readonly path: string;
}

/** Collects one file's problems; `errors` lets a builder see whether its own checks added any. */
export class Reporter {
  readonly problems: Problem[] = [];
  constructor(readonly file: string) {}
  error(line: number, message: string): void {
    this.problems.push({ file: this.file, line, severity: 'error', message });
  }
  warn(line: number, message: string): void {
    this.problems.push({ file: this.file, line, severity: 'warning', message });
  }
  get errors(): number {
    return this.problems.filter((p) => p.severity === 'error').length;
  }
}

export function mathIn(r: Reporter, line: number, text: string): void {
  for (const m of inlineMathProblems(text)) r.error(line, m);
}

export function fieldMap(fields: readonly RawField[]): Map<string, RawField> {
  return new Map(fields.map((f) => [f.key, f]));
}

/** The text of a field, or '' when it is absent. */
export function textOf(f: RawField | undefined): string {
  return f ? fieldText(f) : '';
}

export function unknownFields(r: Reporter, fields: readonly RawField[], allowed: readonly string[], what: string): void {
  for (const f of fields) {
    if (!allowed.includes(f.key)) r.error(f.line, `unknown field \`${f.key}\` in ${what} (known: ${allowed.join(', ')})`);
  }
}

/** A required, non-empty text field; reports and returns '' when missing. */
export function required(r: Reporter, fm: Map<string, RawField>, key: string, stepLine: number, what: string, advice: string): string {
  const f = fm.get(key);
  const text = textOf(f);
  if (text === '') r.error(f?.line ?? stepLine, `${what} has no \`${key}\`${advice ? ` (${advice})` : ''}`);
  else mathIn(r, f!.line, text);
  return text;
}

/** A step's `id`, or `step-N` when it has none (or a malformed one, which is reported). */
export function idOf(r: Reporter, fm: Map<string, RawField>, index: number): string {
  const f = fm.get('id');
  if (!f) return `step-${index + 1}`;
  const v = fieldText(f);
  if (!ID.test(v)) {
    r.error(f.line, `\`id\` must be lower-case words joined by hyphens; got "${v}"`);
    return `step-${index + 1}`;
  }
  return v;
}

/** A comma list, trimmed, without empty items. */
export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}
