/**
 * The syntax of a lesson file (lessons/FORMAT.md): a front matter block between `---` lines, then
 * steps, each opened by `::: kind [title]` and closed by a `:::` line. Structured steps (question,
 * experiment, chart) hold `key: value` fields; an indented line continues the field above it. Free
 * steps (text, math, summary) keep their lines. Every field and line keeps its line number.
 *
 * This layer only knows the shape of the file; check/ turns it into typed lessons and judges the
 * content. It never throws on bad input: it reports problems and recovers at the next step.
 */
import { STEP_KINDS, type Problem, type StepKind } from './types.js';

/** A line of a step or a field's continuation, comment lines removed. */
export interface RawLine {
  /** Free steps: the line as written (trailing spaces removed). Continuations: trimmed. */
  readonly text: string;
  readonly line: number;
  /** A blank line came before this one (a paragraph break in a continued field). */
  readonly afterBlank: boolean;
}

export interface RawField {
  readonly key: string;
  /** The text after `key:` on the field's own line, trimmed, surrounding quotes removed. */
  readonly value: string;
  readonly line: number;
  /** Indented lines below the field. */
  readonly more: readonly RawLine[];
}

export interface RawStep {
  readonly kind: StepKind;
  readonly title: string;
  readonly line: number;
  /** Free steps: their lines. Structured steps: empty. */
  readonly body: readonly RawLine[];
  /** Structured steps: their fields in order. Free steps: empty. */
  readonly fields: readonly RawField[];
}

export interface RawLesson {
  readonly file: string;
  /** Line of the opening `---`. */
  readonly frontMatterLine: number;
  readonly frontMatter: readonly RawField[];
  readonly steps: readonly RawStep[];
}

export interface ParseResult {
  /** Null when the file has no usable front matter. */
  readonly lesson: RawLesson | null;
  readonly problems: Problem[];
}

/** Kinds whose body is `key: value` fields rather than free lines. */
export const STRUCTURED_KINDS: ReadonlySet<StepKind> = new Set(['question', 'experiment', 'chart']);

const FIELD = /^([A-Za-z][A-Za-z0-9_-]*)\s*:(?:\s+(.*)|\s*)$/;
const HEADER = /^:::(.*)$/;

/** Reads one lesson file's text; `file` is the name used in problems. */
export function parseLesson(text: string, file: string): ParseResult {
  const problems: Problem[] = [];
  const error = (line: number, message: string) => problems.push({ file, line, severity: 'error', message });
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);

  // Front matter.
  let i = 0;
  while (i < lines.length && lines[i]!.trim() === '') i++;
  if (i >= lines.length || lines[i]!.trim() !== '---') {
    error(i < lines.length ? i + 1 : 1, 'a lesson file starts with a front matter block: a `---` line, `format: 1`, `id`, `number`, `title`, `summary`, `minutes`, and a closing `---` line');
    return { lesson: null, problems };
  }
  const frontMatterLine = i + 1;
  let close = -1;
  for (let j = i + 1; j < lines.length; j++) {
    if (lines[j]!.trim() === '---') {
      close = j;
      break;
    }
    if (HEADER.test(lines[j]!)) break;
  }
  if (close < 0) {
    error(frontMatterLine, 'the front matter block opened here is not closed: end it with a `---` line before the first step');
    return { lesson: null, problems };
  }
  const frontMatter = readFields(lines, i + 1, close, error);

  // Steps.
  const steps: RawStep[] = [];
  let open: { kind: StepKind | null; title: string; line: number; start: number } | null = null;
  let strayAt = -1;
  let inComment = false;
  const finish = (end: number) => {
    if (open && open.kind) {
      const structured = STRUCTURED_KINDS.has(open.kind);
      steps.push({
        kind: open.kind,
        title: open.title,
        line: open.line,
        body: structured ? [] : freeLines(lines, open.start, end),
        fields: structured ? readFields(lines, open.start, end, error) : [],
      });
    }
    open = null;
  };
  for (let j = close + 1; j < lines.length; j++) {
    const raw = lines[j]!;
    const n = j + 1;
    if (!open) {
      if (inComment) {
        if (raw.includes('-->')) inComment = false;
        continue;
      }
      if (raw.trim().startsWith('<!--')) {
        inComment = !raw.includes('-->', raw.indexOf('<!--') + 4);
        continue;
      }
    }
    const header = HEADER.exec(raw);
    if (!header) {
      if (!open && raw.trim() !== '') {
        if (strayAt < 0 || strayAt !== j - 1) {
          error(n, 'text outside a step: put it inside a step (`::: text` on the line before, `:::` after), or in a `<!-- comment -->`');
        }
        strayAt = j;
      }
      continue;
    }
    const rest = header[1]!.trim();
    if (rest === '') {
      if (!open) error(n, '`:::` closes no step: a step starts with a header such as `::: text`');
      finish(j);
      continue;
    }
    if (open) {
      const o = open as { kind: StepKind | null; line: number };
      error(o.line, `the ${o.kind ?? 'unknown'} step opened here is not closed: add a \`:::\` line before the next step (line ${n})`);
      finish(j);
    }
    const m = /^([A-Za-z][\w-]*)(?:\s+(.*))?$/.exec(rest);
    if (!m) {
      error(n, `malformed step header \`${raw.trim()}\`: write \`::: kind\` with kind one of ${STEP_KINDS.join(', ')}`);
      open = { kind: null, title: '', line: n, start: j + 1 };
      continue;
    }
    const kind = m[1]!.toLowerCase();
    if (!(STEP_KINDS as readonly string[]).includes(kind)) {
      error(n, `unknown step kind "${m[1]}" (known: ${STEP_KINDS.join(', ')})`);
      open = { kind: null, title: '', line: n, start: j + 1 };
      continue;
    }
    open = { kind: kind as StepKind, title: (m[2] ?? '').trim(), line: n, start: j + 1 };
  }
  if (open) {
    const o = open as { kind: StepKind | null; line: number };
    error(o.line, `the ${o.kind ?? 'unknown'} step opened here is not closed: add a \`:::\` line at its end`);
    finish(lines.length);
  }
  return { lesson: { file, frontMatterLine, frontMatter, steps }, problems };
}

/**
 * The non-blank lines `from` (inclusive) to `to` (exclusive), trailing spaces trimmed and HTML comment
 * lines (`<!-- ... -->`, possibly spanning lines) left out; each says whether blank lines came before it.
 */
function* contentLines(lines: readonly string[], from: number, to: number): Generator<RawLine> {
  let blank = false;
  let inComment = false;
  for (let j = from; j < to; j++) {
    const text = lines[j]!.replace(/\s+$/, '');
    if (inComment) {
      if (text.includes('-->')) inComment = false;
      continue;
    }
    if (text.trim().startsWith('<!--')) {
      inComment = !text.includes('-->', text.indexOf('<!--') + 4);
      continue;
    }
    if (text.trim() === '') {
      blank = true;
      continue;
    }
    yield { text, line: j + 1, afterBlank: blank };
    blank = false;
  }
}

/** Lines `from` (inclusive) to `to` (exclusive) of a free step, comment lines removed, blank edges trimmed. */
function freeLines(lines: readonly string[], from: number, to: number): RawLine[] {
  const out: RawLine[] = [];
  for (const l of contentLines(lines, from, to)) out.push(out.length === 0 ? { ...l, afterBlank: false } : l);
  return out;
}

/** `key: value` fields in lines `from`..`to` (exclusive); indented lines continue the field above. */
function readFields(lines: readonly string[], from: number, to: number, error: (line: number, message: string) => void): RawField[] {
  const fields: { key: string; value: string; line: number; more: RawLine[] }[] = [];
  const seen = new Map<string, number>();
  let dropping = false;
  for (const { text: raw, line: n, afterBlank } of contentLines(lines, from, to)) {
    if (/^\s/.test(raw)) {
      const last = fields[fields.length - 1];
      if (dropping) continue;
      if (!last) {
        error(n, 'indented line before any field: start the step with a `key: value` line');
      } else {
        last.more.push({ text: raw.trim(), line: n, afterBlank });
      }
      continue;
    }
    const m = FIELD.exec(raw);
    if (!m) {
      error(n, `expected a \`key: value\` field, got \`${clip(raw.trim())}\` (indent a line to continue the field above)`);
      dropping = true;
      continue;
    }
    dropping = false;
    const key = m[1]!.toLowerCase().replace(/_/g, '-');
    const first = seen.get(key);
    if (first !== undefined) {
      error(n, `field \`${key}\` is given twice (first at line ${first})`);
      dropping = true;
      continue;
    }
    seen.set(key, n);
    fields.push({ key, value: unquote((m[2] ?? '').trim()), line: n, more: [] });
  }
  return fields;
}

function unquote(s: string): string {
  if (s.length >= 2 && (s[0] === '"' || s[0] === "'") && s[s.length - 1] === s[0]) return s.slice(1, -1);
  return s;
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/**
 * A field's whole text: its first line plus continuation lines, joined with spaces; a blank line
 * between continuation lines becomes a paragraph break ("\n\n").
 */
export function fieldText(f: RawField): string {
  let out = f.value;
  for (const l of f.more) {
    if (out === '') out = l.text;
    else out += (l.afterBlank ? '\n\n' : ' ') + l.text;
  }
  return out;
}

/** A free step's text: lines joined with "\n", a blank line kept as an empty line. */
export function bodyText(lines: readonly RawLine[]): string {
  return lines.map((l) => (l.afterBlank ? `\n${l.text}` : l.text)).join('\n');
}
