/**
 * Turns a parsed lesson file into a typed `Lesson` and judges it, like rustlings' check: front matter
 * complete and of a known format, answers among their options, tolerances positive, experiment
 * configurations accepted by the engine (`resolveConfig`, data set known, CNNs only on images),
 * unknown fields, and the course's rule of at least one experiment and three questions per lesson.
 * Every problem names the file and line. No file system here (load.ts reads the files).
 */
import { basename } from 'node:path';
import { UserError } from '../util/errors.js';
import { checkNetForData, resolveConfig, type TrainConfig } from '../contracts/train-config.js';
import { ConfigError, LESSON_TRAIN_KEYS, TRAIN_FIELD_TABLE, trainFieldOfLessonKey } from '../contracts/train-fields.js';
import { DATASET_INFO, DATASET_NAMES, isDatasetName } from '../data/index.js';
import {
  resolveLesionOptions,
  resolvePathsOptions,
  resolveShatterOptions,
  resolveVarianceOptions,
} from '../contracts/probe-options.js';
import { inlineMathProblems, mathProblems } from './math.js';
import { CHECK_SYNTAX, CheckSyntaxError, checkLabels, parseCheck, type Check } from './verdict.js';
import { fieldText, type RawField, type RawLesson, type RawLine, type RawStep } from './parse.js';
import {
  CHART_METRICS,
  COST_LIMIT_SECONDS,
  LESSON_FORMAT,
  MEASURES,
  PROBES,
  QUESTION_TYPES,
  EXPERIMENT_KINDS,
  MAX_SEEDS,
  SHATTER_NETS,
  SHOW_KINDS,
  measurementLabel,
  type ShowKind,
  type PredictionSource,
  type Chart,
  type Experiment,
  type FieldSource,
  type Lesson,
  type Measure,
  type Option,
  type Problem,
  type ProbeName,
  type ProbeRun,
  type Question,
  type Step,
  type TrainRun,
  type Variant,
} from './types.js';

/** The course's rule (the product requirement): every lesson asks and runs at least this much. */
export const MIN_QUESTIONS = 3;
export const MIN_EXPERIMENTS = 1;

export const FRONT_MATTER_FIELDS = ['format', 'id', 'number', 'title', 'summary', 'minutes'] as const;

/** Experiment fields that set a training run, in kebab-case as in the CLI flags (the field table's lesson keys). */
export const TRAIN_FIELDS: readonly string[] = LESSON_TRAIN_KEYS;

/**
 * The options of each probe, as `resnet-tutor probe <what>` takes them (contracts/probe-options.ts
 * checks them). A lesion experiment trains a run first, so it takes the training fields and `limit`.
 */
export const PROBE_FIELDS: Readonly<Record<ProbeName, readonly string[]>> = {
  variance: ['net', 'arch', 'depth', 'width', 'block', 'block-order', 'seed', 'batch-size', 'dataset', 'repeats'],
  shatter: ['depth', 'width', 'block-order', 'seed', 'points', 'input-bias', 'bias', 'spacing'],
  paths: ['net', 'arch', 'depth', 'width', 'block', 'block-order', 'seed', 'batch-size', 'dataset', 'samples'],
  lesion: [...TRAIN_FIELDS, 'limit'],
  'bn-scale': [...TRAIN_FIELDS],
};

/** Fields a probe takes as a list itself (one probe run compares them), so they need no `compare:`. */
const NATIVE_LISTS: Readonly<Partial<Record<ProbeName, readonly string[]>>> = { variance: ['arch'] };

const EXPERIMENT_META = ['kind', 'id', 'title', 'probe', 'cost', 'predict', 'source', 'check', 'seeds', 'measure', 'compare', 'paired', 'full', 'show'] as const;
/** Fields a `full:` block may set besides the configuration. */
const FULL_META = ['compare', 'cost', 'check', 'seeds'] as const;
/** The three forms of `source:`, for messages. */
const SOURCE_FORMS = '`source: lecture` (the lecture says so), `source: tutor` (the tutor\'s own expectation) or `source: <citation>` (e.g. `source: He et al. 2015, Deep Residual Learning for Image Recognition, Fig. 1`)';
/** Optional configuration fields that `none` resets (e.g. `train-limit: none` in a full variant). */
const NULLABLE = new Set(TRAIN_FIELD_TABLE.filter((f) => f.lessonNone && f.lessonKey !== null).map((f) => f.lessonKey));
/** Most runs one experiment may compare side by side. */
export const MAX_RUNS = 12;

const QUESTION_COMMON = ['type', 'id', 'prompt', 'hint', 'explain', 'answer'] as const;
const QUESTION_FIELDS = {
  single: [...QUESTION_COMMON, 'options'],
  multiple: [...QUESTION_COMMON, 'options'],
  numeric: [...QUESTION_COMMON, 'tolerance', 'unit'],
} as const;
const CHART_FIELDS = ['title', 'experiment', 'metric', 'series', 'x', 'y', 'scale'] as const;

const ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const LESSON_FILE = /^(\d+)-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$/;

export interface CheckContext {
  /** Path as shown in messages. */
  readonly file: string;
  /** Absolute path. */
  readonly path: string;
}

export interface BuildResult {
  /** Null when the file has errors (warnings alone still give a lesson). */
  readonly lesson: Lesson | null;
  readonly problems: Problem[];
}

class Reporter {
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

/** Builds and checks one lesson from its parsed form. */
export function buildLesson(raw: RawLesson, ctx: CheckContext): BuildResult {
  const r = new Reporter(ctx.file);
  const fm = fieldMap(raw.frontMatter);
  const at = (key: string) => fm.get(key)?.line ?? raw.frontMatterLine;

  for (const f of raw.frontMatter) {
    if (!(FRONT_MATTER_FIELDS as readonly string[]).includes(f.key)) {
      r.error(f.line, `unknown front matter field \`${f.key}\` (known: ${FRONT_MATTER_FIELDS.join(', ')})`);
    }
  }
  for (const key of FRONT_MATTER_FIELDS) {
    if (!fm.has(key) || fieldText(fm.get(key)!) === '') r.error(raw.frontMatterLine, `front matter has no \`${key}\``);
  }
  let format = LESSON_FORMAT;
  if (fm.has('format')) {
    const v = fieldText(fm.get('format')!);
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) r.error(at('format'), `\`format\` must be a whole number (this resnet-tutor reads format ${LESSON_FORMAT}); got "${v}"`);
    else if (n > LESSON_FORMAT) r.error(at('format'), `format ${n} is newer than this resnet-tutor understands (format ${LESSON_FORMAT}): update resnet-tutor`);
    else if (n < LESSON_FORMAT) r.error(at('format'), `unknown format ${n}: this resnet-tutor reads format ${LESSON_FORMAT}`);
    else format = n;
  }
  const id = fm.has('id') ? fieldText(fm.get('id')!) : '';
  if (id !== '' && !ID.test(id)) r.error(at('id'), `\`id\` must be lower-case words joined by hyphens, e.g. residual-blocks; got "${id}"`);
  let number = 0;
  if (fm.has('number')) {
    const v = fieldText(fm.get('number')!);
    number = Number(v);
    if (!Number.isInteger(number) || number < 1) r.error(at('number'), `\`number\` must be a whole number from 1; got "${v}"`);
  }
  let minutes = 0;
  if (fm.has('minutes')) {
    const v = fieldText(fm.get('minutes')!);
    minutes = Number(v);
    if (!Number.isFinite(minutes) || minutes <= 0) r.error(at('minutes'), `\`minutes\` must be a positive number; got "${v}"`);
  }
  const name = basename(ctx.path);
  const fileMatch = LESSON_FILE.exec(name);
  if (!fileMatch) {
    r.error(raw.frontMatterLine, `lesson file names look like NN-slug.md (e.g. 03-residual-blocks.md); got ${name}`);
  } else {
    if (Number.isInteger(number) && number >= 1 && Number(fileMatch[1]) !== number) {
      r.error(at('number'), `number ${number} does not match the file name ${name}: rename the file or fix the number`);
    }
    if (id !== '' && ID.test(id) && fileMatch[2] !== id) {
      r.warn(at('id'), `id "${id}" differs from the file name's slug "${fileMatch[2]}"`);
    }
  }
  for (const key of ['title', 'summary'] as const) {
    if (fm.has(key)) mathIn(r, fm.get(key)!.line, fieldText(fm.get(key)!));
  }

  const steps: Step[] = [];
  const keys = new Map<string, number>();
  const experiments = new Map<string, Experiment>();
  // Keys of experiment steps seen so far, built or not: a chart of a broken experiment is not a second error.
  const declared = new Set<string>();
  raw.steps.forEach((s, index) => {
    const step = buildStep(s, index, r, ctx, experiments, declared);
    if (s.kind === 'experiment') {
      const id = s.fields.find((f) => f.key === 'id');
      declared.add(id ? fieldText(id) : `step-${index + 1}`);
    }
    if (!step) return;
    const key = step.kind === 'question' ? step.question.key : step.kind === 'experiment' ? step.experiment.key : null;
    if (key) {
      const first = keys.get(key);
      if (first !== undefined) r.error(step.line, `id "${key}" is used twice in this lesson (first at line ${first})`);
      else keys.set(key, step.line);
    }
    if (step.kind === 'experiment') experiments.set(step.experiment.key, step.experiment);
    steps.push(step);
  });

  const questions = steps.filter((s) => s.kind === 'question').length;
  const exps = steps.filter((s) => s.kind === 'experiment').length;
  if (raw.steps.length === 0) r.error(raw.frontMatterLine, 'lesson has no steps: add steps such as `::: text` ... `:::` after the front matter');
  if (questions < MIN_QUESTIONS) {
    r.error(raw.frontMatterLine, `lesson has ${questions} question${questions === 1 ? '' : 's'}; every lesson needs at least ${MIN_QUESTIONS} (add \`::: question\` steps)`);
  }
  if (exps < MIN_EXPERIMENTS) {
    r.error(raw.frontMatterLine, `lesson has no experiment; every lesson needs at least ${MIN_EXPERIMENTS} (add a \`::: experiment\` step)`);
  }

  if (r.errors > 0) return { lesson: null, problems: r.problems };
  const lesson: Lesson = {
    format,
    id,
    number,
    title: fieldText(fm.get('title')!),
    summary: fieldText(fm.get('summary')!),
    minutes,
    file: ctx.file,
    path: ctx.path,
    fieldLines: Object.fromEntries(raw.frontMatter.map((f) => [f.key, f.line])),
    steps,
  };
  return { lesson, problems: r.problems };
}

/** Cross-file rules of a course: ids and numbers unique. Lessons in the order they were loaded. */
export function checkCourse(lessons: readonly Lesson[]): Problem[] {
  const problems: Problem[] = [];
  const byId = new Map<string, Lesson>();
  const byNumber = new Map<number, Lesson>();
  for (const l of lessons) {
    const lines = { id: l.fieldLines.id ?? 1, number: l.fieldLines.number ?? 1 };
    const sameId = byId.get(l.id);
    if (sameId) problems.push({ file: l.file, line: lines.id, severity: 'error', message: `id "${l.id}" is also used by ${sameId.file}; lesson ids must be unique` });
    else byId.set(l.id, l);
    const sameNumber = byNumber.get(l.number);
    if (sameNumber) problems.push({ file: l.file, line: lines.number, severity: 'error', message: `number ${l.number} is also used by ${sameNumber.file}; lesson numbers must be unique` });
    else byNumber.set(l.number, l);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Steps.

function buildStep(
  s: RawStep,
  index: number,
  r: Reporter,
  ctx: CheckContext,
  experiments: ReadonlyMap<string, Experiment>,
  declared: ReadonlySet<string>,
): Step | null {
  const base = { line: s.line, title: s.title };
  mathIn(r, s.line, s.title);
  switch (s.kind) {
    case 'text': {
      if (s.body.length === 0) {
        r.error(s.line, 'text step is empty');
        return null;
      }
      for (const l of s.body) mathIn(r, l.line, l.text);
      return { kind: 'text', ...base, body: textOf(s.body) };
    }
    case 'math': {
      if (s.body.length === 0) {
        r.error(s.line, 'math step is empty: write one equation per line');
        return null;
      }
      for (const l of s.body) for (const m of mathProblems(l.text)) r.error(l.line, m);
      return { kind: 'math', ...base, equations: s.body.map((l) => ({ tex: l.text.trim(), line: l.line })) };
    }
    case 'summary': {
      const items: { text: string; line: number }[] = [];
      for (const l of s.body) {
        const bullet = /^\s*[-*]\s+(.*)$/.exec(l.text);
        if (bullet) items.push({ text: bullet[1]!.trim(), line: l.line });
        else if (items.length > 0 && /^\s/.test(l.text)) items[items.length - 1]!.text += ` ${l.text.trim()}`;
        else r.error(l.line, 'summary items start with `- ` (indent a line to continue the item above)');
        mathIn(r, l.line, l.text);
      }
      if (items.length === 0 && s.body.length === 0) r.error(s.line, 'summary step is empty: list the take-aways as `- ` lines');
      return { kind: 'summary', ...base, items };
    }
    case 'question': {
      const question = buildQuestion(s, index, r);
      return question ? { kind: 'question', ...base, question } : null;
    }
    case 'experiment': {
      const experiment = buildExperiment(s, index, r, ctx);
      return experiment ? { kind: 'experiment', ...base, experiment } : null;
    }
    case 'chart': {
      const chart = buildChart(s, r, experiments, declared);
      return chart ? { kind: 'chart', ...base, chart } : null;
    }
  }
}

function textOf(lines: readonly RawLine[]): string {
  return lines.map((l) => (l.afterBlank ? `\n${l.text}` : l.text)).join('\n');
}

function mathIn(r: Reporter, line: number, text: string): void {
  for (const m of inlineMathProblems(text)) r.error(line, m);
}

function fieldMap(fields: readonly RawField[]): Map<string, RawField> {
  return new Map(fields.map((f) => [f.key, f]));
}

function unknownFields(r: Reporter, fields: readonly RawField[], allowed: readonly string[], what: string): void {
  for (const f of fields) {
    if (!allowed.includes(f.key)) r.error(f.line, `unknown field \`${f.key}\` in ${what} (known: ${allowed.join(', ')})`);
  }
}

/** A required, non-empty text field; reports and returns '' when missing. */
function required(r: Reporter, fm: Map<string, RawField>, key: string, stepLine: number, what: string, advice: string): string {
  const f = fm.get(key);
  const text = f ? fieldText(f) : '';
  if (text === '') r.error(f?.line ?? stepLine, `${what} has no \`${key}\`${advice ? ` (${advice})` : ''}`);
  else mathIn(r, f!.line, text);
  return text;
}

// ---------------------------------------------------------------------------------------------
// Questions.

function buildQuestion(s: RawStep, index: number, r: Reporter): Question | null {
  const fm = fieldMap(s.fields);
  const before = r.errors;
  const typeField = fm.get('type');
  const type = typeField ? fieldText(typeField) : '';
  if (!typeField || type === '') {
    r.error(s.line, `question has no \`type\` (one of ${QUESTION_TYPES.join(', ')})`);
    return null;
  }
  if (!(QUESTION_TYPES as readonly string[]).includes(type)) {
    r.error(typeField.line, `unknown question type "${type}" (known: ${QUESTION_TYPES.join(', ')})`);
    return null;
  }
  const t = type as Question['type'];
  unknownFields(r, s.fields, QUESTION_FIELDS[t], `a ${t} question`);
  const key = idOf(r, fm, index);
  const prompt = required(r, fm, 'prompt', s.line, 'question', 'what to ask');
  const hint = required(r, fm, 'hint', s.line, 'question', 'a nudge shown on request');
  const explain = required(r, fm, 'explain', s.line, 'question', 'why the answer is right, shown after answering');
  const answerField = fm.get('answer');
  const answerText = answerField ? fieldText(answerField) : '';
  const common = { key, line: s.line, prompt, hint, explain };

  if (t === 'numeric') {
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
    const unit = fm.get('unit') ? fieldText(fm.get('unit')!) : '';
    if (r.errors > before) return null;
    return { type: 'numeric', ...common, answer, tolerance, unit };
  }

  const optionsField = fm.get('options');
  const options: Option[] = [];
  if (!optionsField) {
    r.error(s.line, `${t === 'single' ? 'single-choice' : 'multiple-choice'} question has no \`options\` (indented lines \`a) ...\`, \`b) ...\` below \`options:\`)`);
  } else {
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
  }
  const labels = options.map((o) => o.label);
  const refs: { index: number; label: string }[] = [];
  if (!answerField || answerText === '') {
    r.error(s.line, `question has no answer: add \`answer: <label>\`${t === 'multiple' ? ' (several separated by commas)' : ''}`);
  } else {
    const given = answerText.split(/[\s,]+/).filter(Boolean).map((a) => a.replace(/[).]$/, '').toLowerCase());
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
  }
  if (r.errors > before) return null;
  refs.sort((a, b) => a.index - b.index);
  if (t === 'single') return { type: 'single', ...common, options, answer: refs[0]! };
  return { type: 'multiple', ...common, options, answers: refs };
}

/** `a-d` when the labels run from a without gaps, else `a, b, x`. */
function labelRange(labels: readonly string[]): string {
  if (labels.length === 0) return 'none';
  const run = labels.every((l, i) => l === String.fromCharCode(97 + i));
  return run && labels.length > 2 ? `${labels[0]}-${labels[labels.length - 1]}` : labels.join(', ');
}

function idOf(r: Reporter, fm: Map<string, RawField>, index: number): string {
  const f = fm.get('id');
  if (!f) return `step-${index + 1}`;
  const v = fieldText(f);
  if (!ID.test(v)) {
    r.error(f.line, `\`id\` must be lower-case words joined by hyphens; got "${v}"`);
    return `step-${index + 1}`;
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// Experiments.

/** A configuration field's value(s) and where they were written. */
interface Setting {
  readonly values: readonly string[];
  readonly line: number;
  readonly text: string;
}

function buildExperiment(s: RawStep, index: number, r: Reporter, ctx: CheckContext): Experiment | null {
  const fm = fieldMap(s.fields);
  const before = r.errors;
  const kindField = fm.get('kind');
  const kind = kindField ? fieldText(kindField) : '';
  if (!kindField || kind === '') {
    r.error(s.line, `experiment has no \`kind\` (${EXPERIMENT_KINDS.join(' or ')})`);
    return null;
  }
  if (!(EXPERIMENT_KINDS as readonly string[]).includes(kind)) {
    r.error(kindField.line, `unknown experiment kind "${kind}" (known: ${EXPERIMENT_KINDS.join(', ')})`);
    return null;
  }
  let probe: ProbeName | null = null;
  if (kind === 'probe') {
    const pf = fm.get('probe');
    const p = pf ? fieldText(pf) : '';
    if (!pf || p === '') {
      r.error(s.line, `probe experiment has no \`probe\` (one of ${PROBES.join(', ')})`);
      return null;
    }
    if (!(PROBES as readonly string[]).includes(p)) {
      r.error(pf.line, `unknown probe "${p}" (known: ${PROBES.join(', ')})`);
      return null;
    }
    probe = p as ProbeName;
  }
  const configFields: readonly string[] = probe ? PROBE_FIELDS[probe] : TRAIN_FIELDS;
  const what = probe ? `a ${probe} probe` : 'a train experiment';
  unknownFields(r, s.fields, [...EXPERIMENT_META.filter((k) => (k !== 'probe' || probe) && (k !== 'show' || !probe)), ...configFields], what);
  const showField = fm.get('show');
  const showText = showField ? fieldText(showField) : '';
  if (showField && !(SHOW_KINDS as readonly string[]).includes(showText)) {
    r.error(showField.line, `unknown \`show\` value "${showText}" (known: ${SHOW_KINDS.join(', ')})`);
  }

  const key = idOf(r, fm, index);
  const titleField = fm.get('title');
  const title = titleField ? fieldText(titleField) : s.title;
  if (title === '') r.error(s.line, 'experiment has no `title` (a `title:` field, or text after `::: experiment`)');
  else mathIn(r, titleField?.line ?? s.line, title);
  const predict = required(r, fm, 'predict', s.line, 'experiment', 'what the lecture predicts, in one sentence');
  const measureField = fm.get('measure');
  const measureText = measureField ? fieldText(measureField) : '';
  const known: readonly string[] = MEASURES[probe ?? 'train'];
  if (!measureField || measureText === '') r.error(s.line, `experiment has no \`measure\` (one of: ${known.join(', ')})`);
  else if (!known.includes(measureText)) r.error(measureField.line, `unknown measure "${measureText}" for ${what} (known: ${known.join(', ')})`);
  const sourceField = fm.get('source');
  const sourceText = sourceField ? fieldText(sourceField) : '';
  if (sourceText === '') r.error(sourceField?.line ?? s.line, `experiment has no \`source\`: say whose prediction it is with ${SOURCE_FORMS}`);
  const checkField = fm.get('check');
  let check: DeclaredCheck | null = null;
  if (!checkField || fieldText(checkField) === '') {
    r.error(checkField?.line ?? s.line, `experiment has no \`check\`: write the prediction as ${CHECK_SYNTAX}`);
  } else check = checkOf(r, fieldText(checkField), checkField.line);
  const seedsField = fm.get('seeds');
  const seeds = seedsField ? seedsOf(r, fieldText(seedsField), seedsField.line) : 1;

  // The quick variant: fields of the step itself.
  const settings = new Map<string, Setting>();
  const native = probe ? NATIVE_LISTS[probe] ?? [] : [];
  const valuesOf = (key: string, text: string) => (native.includes(key) ? [splitList(text).join(',')] : splitList(text));
  for (const f of s.fields) {
    if (!configFields.includes(f.key)) continue;
    const text = fieldText(f);
    settings.set(f.key, { values: valuesOf(f.key, text), line: f.line, text });
  }
  const compareField = fm.get('compare');
  const compare = compareField ? { values: splitList(fieldText(compareField)), line: compareField.line } : null;
  const pairedField = fm.get('paired');
  const paired = pairedField ? { values: splitList(fieldText(pairedField)), line: pairedField.line } : null;
  const cost = costOf(r, fm.get('cost'), s.line, 'experiment');
  const source = `${ctx.file} line ${s.line}`;
  const quick = variant(r, { settings, compare, paired, cost, probe, source, full: false, stepLine: s.line });

  // The full variant: `full:` overrides.
  let full: ReturnType<typeof variant> = null;
  const fullField = fm.get('full');
  if (fullField) {
    if (fullField.value !== '') r.error(fullField.line, 'put the full variant\'s fields on indented lines below `full:`');
    if (fullField.more.length === 0) r.error(fullField.line, '`full:` has no fields: list the changes for the paper-sized run (e.g. `dataset: cifar10`) on indented lines');
    const fullSettings = new Map(settings);
    let fullCompare = compare;
    let fullCost: number | null = null;
    let fullCheck = check;
    let fullSeeds = seeds;
    let sawCost = false;
    for (const l of fullField.more) {
      const m = /^([a-z][a-z0-9-]*)\s*:\s*(.*)$/.exec(l.text);
      if (!m) {
        r.error(l.line, `expected a \`key: value\` line in \`full:\`; got \`${l.text}\``);
        continue;
      }
      const [, k, v] = m as unknown as [string, string, string];
      if (k === 'compare') fullCompare = v.trim() === 'none' ? null : { values: splitList(v), line: l.line };
      else if (k === 'check') fullCheck = checkOf(r, v, l.line);
      else if (k === 'seeds') fullSeeds = seedsOf(r, v, l.line);
      else if (k === 'cost') {
        sawCost = true;
        fullCost = costOf(r, { key: k, value: v, line: l.line, more: [] }, l.line, '`full:`');
      }
      else if (configFields.includes(k)) fullSettings.set(k, { values: valuesOf(k, v), line: l.line, text: v });
      else r.error(l.line, `unknown field \`${k}\` in \`full:\` of ${what} (known: ${[...FULL_META, ...configFields].join(', ')})`);
    }
    if (!sawCost) {
      r.error(fullField.line, '`full:` has no `cost` (expected seconds on one GPU)');
    }
    full = variant(r, { settings: fullSettings, compare: fullCompare, paired: fullCompare ? paired : null, cost: fullCost ?? 0, probe, source, full: true, stepLine: fullField.line });
    if (full && fullCheck) full = withCheck(r, full, fullCheck, fullSeeds, probe, measureText, true);
  }
  const quickDone = quick && check ? withCheck(r, quick, check, seeds, probe, measureText, false) : null;

  if (r.errors > before || !quickDone) return null;
  const predictionSource: PredictionSource =
    sourceText === 'lecture' || sourceText === 'tutor' ? { kind: sourceText } : { kind: 'paper', citation: sourceText };
  const base = { key, line: s.line, title, predict, source: predictionSource, measure: measureText as Measure };
  if (probe) {
    return { kind: 'probe', probe, ...base, quick: quickDone as Variant<ProbeRun>, full: full as Variant<ProbeRun> | null };
  }
  const show = showField ? (showText as ShowKind) : null;
  if (show === 'segmentation') {
    for (const v of [quick, full]) {
      const bad = (v as Variant<TrainRun> | null)?.runs.find((run) => run.config.net !== 'unet');
      if (bad) r.error(showField!.line, `\`show: segmentation\` draws a U-Net's masks, but a run of this experiment is \`net: ${bad.config.net}\`: use \`net: unet\` with \`dataset: synthetic-segment\``);
    }
    if (r.errors > before) return null;
  }
  return { kind: 'train', ...base, show, quick: quickDone as Variant<TrainRun>, full: full as Variant<TrainRun> | null };
}

/** A parsed `check:` and the line it was written on. */
interface DeclaredCheck {
  readonly check: Check;
  readonly line: number;
}

function checkOf(r: Reporter, text: string, line: number): DeclaredCheck | null {
  try {
    return { check: parseCheck(text), line };
  } catch (err) {
    if (!(err instanceof CheckSyntaxError)) throw err;
    r.error(line, `\`check\`: ${err.message}; expected ${CHECK_SYNTAX}`);
    return null;
  }
}

function seedsOf(r: Reporter, text: string, line: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > MAX_SEEDS) {
    r.error(line, `\`seeds\` must be a whole number from 1 to ${MAX_SEEDS} (each run is repeated with seeds seed, seed+1, ...); got "${text}"`);
    return 1;
  }
  return n;
}

type BareVariant = Omit<Variant<TrainRun>, 'seeds' | 'check' | 'labels'> | Omit<Variant<ProbeRun>, 'seeds' | 'check' | 'labels'>;

/**
 * Adds the seeds and the check to a variant, after making sure every `[label]` of the check is a
 * value the variant will measure (the labels are known before anything runs: run labels, and for
 * the variance and shatter probes the series each run produces).
 */
function withCheck(
  r: Reporter,
  v: BareVariant,
  declared: DeclaredCheck,
  seeds: number,
  probe: ProbeName | null,
  measure: string,
  full: boolean,
): Variant<TrainRun> | Variant<ProbeRun> | null {
  const labels = expectedLabels(v, probe, measure);
  const unknown = checkLabels(declared.check).filter((l) => !labels.includes(l));
  if (unknown.length > 0) {
    r.error(
      declared.line,
      `\`check\` refers to ${unknown.map((l) => `[${l}]`).join(', ')}, which ${full ? 'the `full:` variant of ' : ''}this experiment does not measure (its values: ${labels.map((l) => `[${l}]`).join(', ')})${full ? '; give the full variant its own `check:` in `full:`' : ''}`,
    );
    return null;
  }
  return { ...v, seeds, check: declared.check, labels } as Variant<TrainRun> | Variant<ProbeRun>;
}

/** The labels of the measured values a variant produces (experiment-runner.ts builds the same). */
export function expectedLabels(v: Pick<Variant<TrainRun | ProbeRun>, 'runs'>, probe: ProbeName | null, measure: string): string[] {
  const out: string[] = [];
  for (const run of v.runs as readonly (TrainRun | ProbeRun)[]) {
    let series: readonly string[] = [''];
    if (probe === 'variance' && 'options' in run) series = resolveVarianceOptions(run.options, 'the lesson').archs;
    if (probe === 'shatter') series = SHATTER_NETS;
    for (const s of series) out.push(measurementLabel(run.label, s, measure));
  }
  return out;
}

function splitList(text: string): string[] {
  return text.split(',').map((v) => v.trim()).filter((v) => v !== '');
}

function costOf(r: Reporter, f: RawField | undefined, stepLine: number, what: string): number {
  if (!f) {
    r.error(stepLine, `${what} has no \`cost\` (expected seconds on the default wasm backend at 2 cores)`);
    return 0;
  }
  const v = fieldText(f);
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) {
    r.error(f.line, `\`cost\` must be a positive number of seconds; got "${v}"`);
    return 0;
  }
  return n;
}

interface VariantInput {
  readonly settings: ReadonlyMap<string, Setting>;
  readonly compare: { values: readonly string[]; line: number } | null;
  /** Fields whose lists go value by value with the one compared field (`paired: depth, width`). */
  readonly paired: { values: readonly string[]; line: number } | null;
  readonly cost: number;
  readonly probe: ProbeName | null;
  readonly source: string;
  readonly full: boolean;
  readonly stepLine: number;
}

/** Expands compared fields into runs and checks every run's configuration. */
function variant(r: Reporter, v: VariantInput): BareVariant | null {
  const before = r.errors;
  const where = v.full ? ' in `full:`' : '';
  const axes: { key: string; values: readonly string[] }[] = [];
  if (v.compare) {
    if (v.compare.values.length === 0) r.error(v.compare.line, '`compare` names no field: write e.g. `compare: depth` and give `depth: 2, 8, 20`');
    if (v.compare.values.length > 2) r.error(v.compare.line, `compare at most two fields side by side; got ${v.compare.values.join(', ')}`);
    for (const key of v.compare.values.slice(0, 2)) {
      const s = v.settings.get(key);
      if (!s) r.error(v.compare.line, `\`compare: ${key}\`${where} names a field the experiment does not set: add \`${key}: value, value\``);
      else if (s.values.length < 2) r.error(s.line, `\`${key}\` is compared${where} but has one value; give several separated by commas, e.g. \`${key}: ${s.values[0] ?? 'a'}, ...\``);
      else axes.push({ key, values: s.values });
    }
  }
  const paired: { key: string; values: readonly string[] }[] = [];
  if (v.paired) {
    if (axes.length !== 1) r.error(v.paired.line, '`paired` needs exactly one compared field: its values go one by one with that field\'s');
    for (const key of v.paired.values) {
      const s = v.settings.get(key);
      if (!s) r.error(v.paired.line, `\`paired: ${key}\`${where} names a field the experiment does not set`);
      else if (axes.length === 1 && s.values.length !== axes[0]!.values.length) {
        r.error(s.line, `\`${key}\` is paired with \`${axes[0]!.key}\`${where}, so it needs ${axes[0]!.values.length} values (one per run); got ${s.values.length}`);
      } else paired.push({ key, values: s.values });
    }
  }
  for (const [key, s] of v.settings) {
    if (s.values.length === 0) r.error(s.line, `\`${key}\` has no value`);
    if (v.paired?.values.includes(key)) continue;
    // (A field a probe compares itself, like variance's `arch`, arrives as one comma-joined value.)
    if (s.values.length > 1 && !axes.some((a) => a.key === key) && !v.compare?.values.includes(key)) {
      r.error(s.line, `\`${key}\` has several values (${s.values.join(', ')}): name it in \`compare:\` to run one per value`);
    }
  }
  const count = axes.reduce((n, a) => n * a.values.length, 1);
  if (count > MAX_RUNS) r.error(v.compare?.line ?? v.stepLine, `compare makes ${count} runs; at most ${MAX_RUNS} fit side by side`);
  if (r.errors > before) return null;

  const combos: { key: string; value: string }[][] = [[]];
  for (const a of axes) {
    const next: { key: string; value: string }[][] = [];
    for (const c of combos) for (const value of a.values) next.push([...c, { key: a.key, value }]);
    combos.splice(0, combos.length, ...next);
  }
  // Paired fields (one compared field only): the i-th run takes their i-th values, unlabelled.
  const pairedOf = (i: number) => paired.map((p) => ({ key: p.key, value: p.values[i]! }));
  const fields: FieldSource[] = [...v.settings].map(([key, s]) => ({ key, value: s.text, line: s.line }));
  const compare = axes.map((a) => a.key);
  const lineOf = (name: string) => v.settings.get(lessonKeyOf(name))?.line ?? v.stepLine;
  const reported = new Set<string>();
  const report = (line: number, message: string) => {
    const k = `${line}:${message}`;
    if (!reported.has(k)) r.error(line, message);
    reported.add(k);
  };

  const trainRuns: TrainRun[] = [];
  const probeRuns: ProbeRun[] = [];
  for (const [i, combo] of combos.entries()) {
    const raw: Record<string, unknown> = {};
    for (const [key, s] of v.settings) raw[optionName(key)] = NULLABLE.has(key) && s.values[0] === 'none' ? null : s.values[0];
    for (const { key, value } of [...combo, ...pairedOf(i)]) raw[optionName(key)] = NULLABLE.has(key) && value === 'none' ? null : value;
    const label = combo.map((c) => `${c.key} ${c.value}`).join(', ');
    const config = checkConfig(raw, v, lineOf, report);
    if (config === false) continue;
    if (v.probe) {
      const options: Record<string, string | number> = {};
      for (const [k, value] of Object.entries(raw)) {
        if (value === null || value === undefined) continue;
        const n = Number(value);
        options[k] = typeof value === 'string' && value.trim() !== '' && Number.isFinite(n) ? n : String(value);
      }
      probeRuns.push({ label, options });
    } else {
      trainRuns.push({ label, config: config! });
    }
  }
  if (r.errors > before) return null;
  if (!v.probe && !v.full) {
    const c = trainRuns[0]!.config;
    if (DATASET_INFO[c.dataset as keyof typeof DATASET_INFO]?.download) {
      r.warn(lineOf('dataset'), `${c.dataset} needs a one-time download; keep it for \`full:\` and use fashion-mnist or mnist here`);
    }
    if (c.steps === null && c.trainLimit === null) {
      r.warn(v.stepLine, 'no `steps` and no `train-limit`: every run makes a full pass over the data; bound it so the experiment finishes in a couple of minutes');
    }
    if (v.cost > COST_LIMIT_SECONDS) {
      r.warn(v.stepLine, `cost ${v.cost} s is over the course's ${COST_LIMIT_SECONDS} s for an experiment; make it smaller and put the big version in \`full:\``);
    }
  }
  const runs = v.probe ? probeRuns : trainRuns;
  return { compare, runs, cost: v.cost, fields } as BareVariant;
}

/**
 * Checks one run's configuration the way the engine will: a training run with `resolveConfig` (the
 * lesson as the source), the data set name and CNNs only on images; a probe with the probe's own
 * option checks. Returns the training configuration (null for the probes that train nothing), or
 * false after reporting a problem.
 */
function checkConfig(
  raw: Record<string, unknown>,
  v: VariantInput,
  lineOf: (camel: string) => number,
  report: (line: number, message: string) => void,
): TrainConfig | null | false {
  const fail = (err: unknown): false => {
    if (!(err instanceof UserError)) throw err;
    // A ConfigError names its field. The probes' own option checks (contracts/probe-options.ts) throw
    // plain UserErrors that name it only in the text, as `name` in <source>: read it from there.
    const name = err instanceof ConfigError ? err.field : /`(\w+)` in /.exec(err.message)?.[1];
    report(name ? lineOf(name) : v.stepLine, err.message.replaceAll(` in ${v.source}`, '').replace(/\.$/, ''));
    return false;
  };
  try {
    if (v.probe === 'variance') resolveVarianceOptions(raw, v.source);
    if (v.probe === 'shatter') resolveShatterOptions(raw, v.source);
    if (v.probe === 'paths') resolvePathsOptions(raw, null, v.source);
    if (v.probe && v.probe !== 'lesion') return null;
  } catch (err) {
    return fail(err);
  }
  const { limit, ...trainRaw } = raw;
  let config: TrainConfig;
  try {
    config = resolveConfig(trainRaw, v.source);
  } catch (err) {
    return fail(err);
  }
  if (!isDatasetName(config.dataset)) {
    report(lineOf('dataset'), `unknown data set "${config.dataset}" (known: ${DATASET_NAMES.join(', ')})`);
    return false;
  }
  const info = DATASET_INFO[config.dataset];
  if (config.net === 'cnn' && info.inputShape.length !== 3) {
    report(lineOf('net'), `\`net: cnn\` needs image data, but ${config.dataset} has examples of shape [${info.inputShape.join(', ')}]: use \`net: mlp\`, or fashion-mnist, mnist or cifar10`);
    return false;
  }
  try {
    checkNetForData(config, info, (name) => `\`${lessonKeyOf(name)}\``);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    report(lineOf(err.field), err.message.replace(/\.$/, ''));
    return false;
  }
  if (v.probe === 'lesion') {
    try {
      resolveLesionOptions(limit === undefined ? {} : { limit }, { id: 'lesson', path: '', config }, v.source);
    } catch (err) {
      return fail(err);
    }
  }
  return config;
}

/**
 * The option name a lesson key stands for: a training field's config name from the field table
 * (`batch-size` -> `batchSize`), else a probe option's camelCase (`input-bias` -> `inputBias`).
 */
export function optionName(key: string): string {
  return trainFieldOfLessonKey(key)?.field ?? key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The lesson key of an option name, the inverse of `optionName`. */
function lessonKeyOf(name: string): string {
  return TRAIN_FIELD_TABLE.find((f) => f.field === name)?.lessonKey ?? name.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`);
}

// ---------------------------------------------------------------------------------------------
// Charts.

function buildChart(s: RawStep, r: Reporter, experiments: ReadonlyMap<string, Experiment>, declared: ReadonlySet<string>): Chart | null {
  const fm = fieldMap(s.fields);
  const before = r.errors;
  unknownFields(r, s.fields, CHART_FIELDS, 'a chart');
  const title = fm.get('title') ? fieldText(fm.get('title')!) : s.title;
  const scaleText = fm.get('scale') ? fieldText(fm.get('scale')!) : 'linear';
  if (scaleText !== 'linear' && scaleText !== 'log') r.error(fm.get('scale')!.line, `\`scale\` must be linear or log; got "${scaleText}"`);
  const scale = scaleText === 'log' ? 'log' : 'linear';
  const expField = fm.get('experiment');
  const seriesField = fm.get('series');
  if (expField && seriesField) {
    r.error(s.line, 'a chart draws either an experiment\'s results (`experiment:` + `metric:`) or numbers given in `series:`, not both');
    return null;
  }
  if (expField) {
    const key = fieldText(expField);
    const exp = experiments.get(key);
    const metricField = fm.get('metric');
    const metric = metricField ? fieldText(metricField) : '';
    if (!exp && declared.has(key)) return null; // that experiment's own problems are reported
    if (!exp) {
      const knownKeys = [...declared];
      r.error(expField.line, `chart refers to experiment "${key}", which is not an earlier experiment in this lesson (${knownKeys.length ? `earlier: ${knownKeys.join(', ')}` : 'none comes before it'})`);
    } else {
      const allowed: readonly string[] = CHART_METRICS[exp.kind === 'probe' ? exp.probe : 'train'];
      if (!metricField || metric === '') r.error(s.line, `chart has no \`metric\` (one of: ${allowed.join(', ')})`);
      else if (!allowed.includes(metric)) r.error(metricField.line, `unknown metric "${metric}" for this experiment (known: ${allowed.join(', ')})`);
    }
    for (const k of ['x', 'y'] as const) if (fm.has(k)) r.error(fm.get(k)!.line, `\`${k}\` applies to \`series:\` charts only`);
    if (r.errors > before) return null;
    return { source: 'experiment', experiment: key, metric, title, scale, line: s.line };
  }
  if (seriesField) {
    const series: { name: string; values: number[]; line: number }[] = [];
    if (seriesField.value !== '') r.error(seriesField.line, 'put each series on its own indented line below `series:`, as `name: 1, 2, 4`');
    for (const l of seriesField.more) {
      const m = /^(.+?)\s*:\s*(.*)$/.exec(l.text);
      const values = m ? splitList(m[2]!).map(Number) : [];
      if (!m || values.length === 0 || values.some((x) => !Number.isFinite(x))) {
        r.error(l.line, `a series line is \`name: number, number, ...\`; got \`${l.text}\``);
        continue;
      }
      if (scale === 'log' && values.some((x) => x <= 0)) r.error(l.line, 'a log-scale chart needs positive numbers');
      series.push({ name: m[1]!, values, line: l.line });
    }
    if (series.length === 0 && seriesField.more.length === 0) r.error(seriesField.line, '`series:` has no lines');
    for (const k of ['metric'] as const) if (fm.has(k)) r.error(fm.get(k)!.line, '`metric` applies to experiment charts only');
    if (r.errors > before) return null;
    const x = fm.get('x') ? fieldText(fm.get('x')!) : '';
    const y = fm.get('y') ? fieldText(fm.get('y')!) : '';
    return { source: 'inline', series, title, x, y, scale, line: s.line };
  }
  r.error(s.line, 'chart has nothing to draw: give `experiment:` (an earlier experiment\'s id) and `metric:`, or `series:` lines');
  return null;
}
