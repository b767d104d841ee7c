/**
 * Experiment steps: a known kind (and probe), the fields that say what is predicted and by whom,
 * how it is measured and checked, and the quick and `full:` variants that run it.
 */
import { fieldText, type RawField, type RawStep } from '../parse.js';
import {
  EXPERIMENT_KINDS,
  MAX_SEEDS,
  MEASURES,
  PROBES,
  SHOW_KINDS,
  type Experiment,
  type Measure,
  type PredictionSource,
  type ProbeName,
  type ProbeRun,
  type ShowKind,
  type TrainRun,
  type Variant,
} from '../types.js';
import { CHECK_SYNTAX } from '../verdict.js';
import { NATIVE_LISTS, PROBE_FIELDS, TRAIN_FIELDS } from './config-keys.js';
import { fieldMap, idOf, mathIn, required, splitList, textOf, unknownFields, type CheckContext, type Reporter } from './fields.js';
import { fullVariant } from './full-variant.js';
import { checkOf, withCheck, type DeclaredCheck } from './prediction-check.js';
import { variant, type Setting } from './variants.js';

const EXPERIMENT_META = ['kind', 'id', 'title', 'probe', 'cost', 'predict', 'source', 'check', 'seeds', 'measure', 'compare', 'paired', 'full', 'show'] as const;
/** The three forms of `source:`, for messages. */
const SOURCE_FORMS =
  "`source: lecture` (the lecture says so), `source: tutor` (the tutor's own expectation) or `source: <citation>` (e.g. `source: He et al. 2015, Deep Residual Learning for Image Recognition, Fig. 1`)";

/** The fields every experiment has, whatever it runs. */
interface Header {
  readonly key: string;
  readonly title: string;
  readonly predict: string;
  readonly measure: string;
  readonly source: string;
  readonly check: DeclaredCheck | null;
  readonly seeds: number;
}

export function buildExperiment(s: RawStep, index: number, r: Reporter, ctx: CheckContext): Experiment | null {
  const fm = fieldMap(s.fields);
  const before = r.errors;
  const kind = experimentKind(s, fm, r);
  if (!kind) return null;
  const { probe } = kind;
  const { configFields, allowed, what } = fieldsOf(probe);
  unknownFields(r, s.fields, allowed, what);
  const show = showOf(r, fm.get('show'));
  const h = header(s, fm, r, index, probe, what);

  // The quick variant: fields of the step itself.
  const valuesOf = settingValues(probe);
  const settings = new Map<string, Setting>();
  for (const f of s.fields.filter((f) => configFields.includes(f.key))) {
    settings.set(f.key, { values: valuesOf(f.key, fieldText(f)), line: f.line, text: fieldText(f) });
  }
  const compare = keyList(fm.get('compare'));
  const paired = keyList(fm.get('paired'));
  const cost = costOf(r, fm.get('cost'), s.line, 'experiment');
  const source = `${ctx.file} line ${s.line}`;
  const quick = variant(r, { settings, compare, paired, cost, probe, source, full: false, stepLine: s.line });

  const fullField = fm.get('full');
  const seedsIn = (text: string, line: number) => seedsOf(r, text, line);
  const costIn = (f: RawField, line: number) => costOf(r, f, line, '`full:`');
  const { check, seeds, measure } = h;
  const quickBase = { settings, compare, paired, check, seeds, probe, measure, source, configFields, what, valuesOf, seedsOf: seedsIn, costOf: costIn };
  const full = fullField ? fullVariant(r, fullField, quickBase) : null;
  const quickDone = quick && check ? withCheck(r, quick, check, seeds, probe, measure, false) : null;

  if (r.errors > before || !quickDone) return null;
  const base = { key: h.key, line: s.line, title: h.title, predict: h.predict, source: predictionSource(h.source), measure: measure as Measure };
  if (probe) {
    return { kind: 'probe', probe, ...base, quick: quickDone as Variant<ProbeRun>, full: full as Variant<ProbeRun> | null };
  }
  const variants = [quick, full] as (Variant<TrainRun> | null)[];
  if (show?.kind === 'segmentation' && !segmentationFits(r, show.line, variants)) return null;
  return { kind: 'train', ...base, show: show?.kind ?? null, quick: quickDone as Variant<TrainRun>, full: full as Variant<TrainRun> | null };
}

/** The configuration keys this kind of experiment takes, all the fields it may have, and its name for messages. */
function fieldsOf(probe: ProbeName | null): { configFields: readonly string[]; allowed: string[]; what: string } {
  const configFields: readonly string[] = probe ? PROBE_FIELDS[probe] : TRAIN_FIELDS;
  const meta = EXPERIMENT_META.filter((k) => (k !== 'probe' || probe) && (k !== 'show' || !probe));
  return { configFields, allowed: [...meta, ...configFields], what: probe ? `a ${probe} probe` : 'a train experiment' };
}

/** How a field's text becomes values: a comma list, kept whole for a field the probe compares itself. */
function settingValues(probe: ProbeName | null): (key: string, text: string) => string[] {
  const native = probe ? (NATIVE_LISTS[probe] ?? []) : [];
  return (key, text) => (native.includes(key) ? [splitList(text).join(',')] : splitList(text));
}

/** The `show:` field (an unknown value is reported, and shows nothing special). */
function showOf(r: Reporter, f: RawField | undefined): { kind: ShowKind; line: number } | null {
  if (!f) return null;
  const text = fieldText(f);
  if (!(SHOW_KINDS as readonly string[]).includes(text)) r.error(f.line, `unknown \`show\` value "${text}" (known: ${SHOW_KINDS.join(', ')})`);
  return { kind: text as ShowKind, line: f.line };
}

/** `show: segmentation` draws masks, so every run must be a U-Net; false after reporting one that is not. */
function segmentationFits(r: Reporter, line: number, variants: readonly (Variant<TrainRun> | null)[]): boolean {
  let fits = true;
  for (const v of variants) {
    const bad = v?.runs.find((run) => run.config.net !== 'unet');
    if (!bad) continue;
    r.error(
      line,
      `\`show: segmentation\` draws a U-Net's masks, but a run of this experiment is \`net: ${bad.config.net}\`: use \`net: unet\` with \`dataset: synthetic-segment\``,
    );
    fits = false;
  }
  return fits;
}

function predictionSource(text: string): PredictionSource {
  return text === 'lecture' || text === 'tutor' ? { kind: text } : { kind: 'paper', citation: text };
}

/** `kind: train`, or `kind: probe` with a known `probe:`; null after reporting. */
function experimentKind(s: RawStep, fm: Map<string, RawField>, r: Reporter): { probe: ProbeName | null } | null {
  const kindField = fm.get('kind');
  const kind = textOf(kindField);
  if (!kindField || kind === '') {
    r.error(s.line, `experiment has no \`kind\` (${EXPERIMENT_KINDS.join(' or ')})`);
    return null;
  }
  if (!(EXPERIMENT_KINDS as readonly string[]).includes(kind)) {
    r.error(kindField.line, `unknown experiment kind "${kind}" (known: ${EXPERIMENT_KINDS.join(', ')})`);
    return null;
  }
  if (kind !== 'probe') return { probe: null };
  const pf = fm.get('probe');
  const p = textOf(pf);
  if (!pf || p === '') {
    r.error(s.line, `probe experiment has no \`probe\` (one of ${PROBES.join(', ')})`);
    return null;
  }
  if (!(PROBES as readonly string[]).includes(p)) {
    r.error(pf.line, `unknown probe "${p}" (known: ${PROBES.join(', ')})`);
    return null;
  }
  return { probe: p as ProbeName };
}

function header(s: RawStep, fm: Map<string, RawField>, r: Reporter, index: number, probe: ProbeName | null, what: string): Header {
  const key = idOf(r, fm, index);
  const titleField = fm.get('title');
  const title = titleField ? fieldText(titleField) : s.title;
  if (title === '') r.error(s.line, 'experiment has no `title` (a `title:` field, or text after `::: experiment`)');
  else mathIn(r, titleField?.line ?? s.line, title);
  const predict = required(r, fm, 'predict', s.line, 'experiment', 'what the lecture predicts, in one sentence');
  const measure = measureOf(s, fm.get('measure'), r, probe, what);
  const sourceField = fm.get('source');
  const source = textOf(sourceField);
  if (source === '') r.error(sourceField?.line ?? s.line, `experiment has no \`source\`: say whose prediction it is with ${SOURCE_FORMS}`);
  const checkField = fm.get('check');
  let check: DeclaredCheck | null = null;
  if (textOf(checkField) === '') r.error(checkField?.line ?? s.line, `experiment has no \`check\`: write the prediction as ${CHECK_SYNTAX}`);
  else check = checkOf(r, fieldText(checkField!), checkField!.line);
  const seedsField = fm.get('seeds');
  const seeds = seedsField ? seedsOf(r, fieldText(seedsField), seedsField.line) : 1;
  return { key, title, predict, measure, source, check, seeds };
}

/** `measure:`, one of the measures this kind of experiment records. */
function measureOf(s: RawStep, f: RawField | undefined, r: Reporter, probe: ProbeName | null, what: string): string {
  const text = textOf(f);
  const known: readonly string[] = MEASURES[probe ?? 'train'];
  if (!f || text === '') r.error(s.line, `experiment has no \`measure\` (one of: ${known.join(', ')})`);
  else if (!known.includes(text)) r.error(f.line, `unknown measure "${text}" for ${what} (known: ${known.join(', ')})`);
  return text;
}

function keyList(f: RawField | undefined): { values: string[]; line: number } | null {
  return f ? { values: splitList(fieldText(f)), line: f.line } : null;
}

function seedsOf(r: Reporter, text: string, line: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > MAX_SEEDS) {
    r.error(line, `\`seeds\` must be a whole number from 1 to ${MAX_SEEDS} (each run is repeated with seeds seed, seed+1, ...); got "${text}"`);
    return 1;
  }
  return n;
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
