/**
 * One variant of an experiment (the quick one, or the `full:` one): its compared fields expanded
 * into runs side by side, every run's configuration checked as the engine will check it, and the
 * course's warnings for a quick variant that would take too long.
 */
import type { TrainConfig } from '../../contracts/train-config.js';
import { DATASET_INFO } from '../../data/index.js';
import { COST_LIMIT_SECONDS, type FieldSource, type ProbeName, type ProbeRun, type TrainRun, type Variant } from '../types.js';
import { lessonKeyOf, NULLABLE, optionName } from './config-keys.js';
import type { Reporter } from './fields.js';
import { checkRunConfig } from './run-config.js';

/** Most runs one experiment may compare side by side. */
export const MAX_RUNS = 12;

/** A configuration field's value(s) and where they were written. */
export interface Setting {
  readonly values: readonly string[];
  readonly line: number;
  readonly text: string;
}

/** A field list written in the lesson (`compare: depth`, `paired: width`) and its line. */
export interface KeyList {
  readonly values: readonly string[];
  readonly line: number;
}

export interface VariantInput {
  readonly settings: ReadonlyMap<string, Setting>;
  readonly compare: KeyList | null;
  /** Fields whose lists go value by value with the one compared field (`paired: depth, width`). */
  readonly paired: KeyList | null;
  readonly cost: number;
  readonly probe: ProbeName | null;
  readonly source: string;
  readonly full: boolean;
  readonly stepLine: number;
}

/** A variant before its seeds and check are added. */
export type BareVariant = Omit<Variant<TrainRun>, 'seeds' | 'check' | 'labels'> | Omit<Variant<ProbeRun>, 'seeds' | 'check' | 'labels'>;

interface Axis {
  readonly key: string;
  readonly values: readonly string[];
}

/** Expands compared fields into runs and checks every run's configuration. */
export function variant(r: Reporter, v: VariantInput): BareVariant | null {
  const before = r.errors;
  const where = v.full ? ' in `full:`' : '';
  const axes = compareAxes(r, v, where);
  const paired = pairedAxes(r, v, axes, where);
  checkSingleValues(r, v, axes);
  const count = axes.reduce((n, a) => n * a.values.length, 1);
  if (count > MAX_RUNS) r.error(v.compare?.line ?? v.stepLine, `compare makes ${count} runs; at most ${MAX_RUNS} fit side by side`);
  if (r.errors > before) return null;

  const lineOf = (name: string) => v.settings.get(lessonKeyOf(name))?.line ?? v.stepLine;
  const runs = expandRuns(r, v, axes, paired, lineOf);
  if (r.errors > before) return null;
  if (!v.probe && !v.full) quickWarnings(r, v, (runs[0] as TrainRun).config, lineOf);
  const fields: FieldSource[] = [...v.settings].map(([key, s]) => ({ key, value: s.text, line: s.line }));
  return { compare: axes.map((a) => a.key), runs, cost: v.cost, fields } as BareVariant;
}

/** The compared fields (at most two), each set with several values. */
function compareAxes(r: Reporter, v: VariantInput, where: string): Axis[] {
  const axes: Axis[] = [];
  if (!v.compare) return axes;
  if (v.compare.values.length === 0) r.error(v.compare.line, '`compare` names no field: write e.g. `compare: depth` and give `depth: 2, 8, 20`');
  if (v.compare.values.length > 2) r.error(v.compare.line, `compare at most two fields side by side; got ${v.compare.values.join(', ')}`);
  for (const key of v.compare.values.slice(0, 2)) {
    const s = v.settings.get(key);
    if (!s) r.error(v.compare.line, `\`compare: ${key}\`${where} names a field the experiment does not set: add \`${key}: value, value\``);
    else if (s.values.length < 2) {
      r.error(s.line, `\`${key}\` is compared${where} but has one value; give several separated by commas, e.g. \`${key}: ${s.values[0] ?? 'a'}, ...\``);
    } else axes.push({ key, values: s.values });
  }
  return axes;
}

/** The paired fields, each with one value per value of the one compared field. */
function pairedAxes(r: Reporter, v: VariantInput, axes: readonly Axis[], where: string): Axis[] {
  const paired: Axis[] = [];
  if (!v.paired) return paired;
  if (axes.length !== 1) r.error(v.paired.line, "`paired` needs exactly one compared field: its values go one by one with that field's");
  for (const key of v.paired.values) {
    const s = v.settings.get(key);
    if (!s) r.error(v.paired.line, `\`paired: ${key}\`${where} names a field the experiment does not set`);
    else if (axes.length === 1 && s.values.length !== axes[0]!.values.length) {
      r.error(
        s.line,
        `\`${key}\` is paired with \`${axes[0]!.key}\`${where}, so it needs ${axes[0]!.values.length} values (one per run); got ${s.values.length}`,
      );
    } else paired.push({ key, values: s.values });
  }
  return paired;
}

/** Every field has a value, and only compared or paired fields have several. */
function checkSingleValues(r: Reporter, v: VariantInput, axes: readonly Axis[]): void {
  for (const [key, s] of v.settings) {
    if (s.values.length === 0) r.error(s.line, `\`${key}\` has no value`);
    if (v.paired?.values.includes(key)) continue;
    // (A field a probe compares itself, like variance's `arch`, arrives as one comma-joined value.)
    if (s.values.length > 1 && !axes.some((a) => a.key === key) && !v.compare?.values.includes(key)) {
      r.error(s.line, `\`${key}\` has several values (${s.values.join(', ')}): name it in \`compare:\` to run one per value`);
    }
  }
}

/** Every combination of the compared fields' values, in order (the first field varies slowest). */
function combinations(axes: readonly Axis[]): { key: string; value: string }[][] {
  let combos: { key: string; value: string }[][] = [[]];
  for (const a of axes) combos = combos.flatMap((c) => a.values.map((value) => [...c, { key: a.key, value }]));
  return combos;
}

/** One run per combination, each checked; a problem every run shares is reported once. */
function expandRuns(
  r: Reporter,
  v: VariantInput,
  axes: readonly Axis[],
  paired: readonly Axis[],
  lineOf: (name: string) => number,
): TrainRun[] | ProbeRun[] {
  // Paired fields (one compared field only): the i-th run takes their i-th values, unlabelled.
  const pairedOf = (i: number) => paired.map((p) => ({ key: p.key, value: p.values[i]! }));
  const reported = new Set<string>();
  const report = (line: number, message: string) => {
    const k = `${line}:${message}`;
    if (!reported.has(k)) r.error(line, message);
    reported.add(k);
  };
  const valueOf = (key: string, value: string | undefined) => (NULLABLE.has(key) && value === 'none' ? null : value);
  const trainRuns: TrainRun[] = [];
  const probeRuns: ProbeRun[] = [];
  for (const [i, combo] of combinations(axes).entries()) {
    const raw: Record<string, unknown> = {};
    for (const [key, s] of v.settings) raw[optionName(key)] = valueOf(key, s.values[0]);
    for (const { key, value } of [...combo, ...pairedOf(i)]) raw[optionName(key)] = valueOf(key, value);
    const label = combo.map((c) => `${c.key} ${c.value}`).join(', ');
    const config = checkRunConfig(raw, { probe: v.probe, source: v.source, stepLine: v.stepLine, lineOf, report });
    if (config === false) continue;
    if (v.probe) probeRuns.push({ label, options: probeOptions(raw) });
    else trainRuns.push({ label, config: config! });
  }
  return v.probe ? probeRuns : trainRuns;
}

/** A probe run's options as the probe command takes them: numbers where the text is one. */
function probeOptions(raw: Record<string, unknown>): Record<string, string | number> {
  const options: Record<string, string | number> = {};
  for (const [k, value] of Object.entries(raw)) {
    if (value === null || value === undefined) continue;
    const n = Number(value);
    options[k] = typeof value === 'string' && value.trim() !== '' && Number.isFinite(n) ? n : String(value);
  }
  return options;
}

/** A quick training variant should run in a couple of minutes without a download. */
function quickWarnings(r: Reporter, v: VariantInput, c: TrainConfig, lineOf: (name: string) => number): void {
  if (DATASET_INFO[c.dataset as keyof typeof DATASET_INFO]?.download) {
    r.warn(lineOf('dataset'), `${c.dataset} needs a one-time download; keep it for \`full:\` and use fashion-mnist or mnist here`);
  }
  if (c.steps === null && c.trainLimit === null) {
    r.warn(
      v.stepLine,
      'no `steps` and no `train-limit`: every run makes a full pass over the data; bound it so the experiment finishes in a couple of minutes',
    );
  }
  if (v.cost > COST_LIMIT_SECONDS) {
    r.warn(
      v.stepLine,
      `cost ${v.cost} s is over the course's ${COST_LIMIT_SECONDS} s for an experiment; make it smaller and put the big version in \`full:\``,
    );
  }
}
