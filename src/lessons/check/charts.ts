/**
 * Chart steps: either an earlier experiment's results (`experiment:` + a metric that experiment
 * records) or numbers written in the lesson (`series:` lines), on a linear or log scale.
 */
import type { RawField, RawStep } from '../parse.js';
import { CHART_METRICS, type Chart, type Experiment } from '../types.js';
import { fieldMap, splitList, textOf, unknownFields, type Reporter } from './fields.js';

const CHART_FIELDS = ['title', 'experiment', 'metric', 'series', 'x', 'y', 'scale'] as const;

interface ChartBase {
  readonly fm: Map<string, RawField>;
  readonly title: string;
  readonly scale: 'linear' | 'log';
  readonly before: number;
}

export function buildChart(s: RawStep, r: Reporter, experiments: ReadonlyMap<string, Experiment>, declared: ReadonlySet<string>): Chart | null {
  const fm = fieldMap(s.fields);
  const before = r.errors;
  unknownFields(r, s.fields, CHART_FIELDS, 'a chart');
  const title = fm.get('title') ? textOf(fm.get('title')) : s.title;
  const scaleText = fm.get('scale') ? textOf(fm.get('scale')) : 'linear';
  if (scaleText !== 'linear' && scaleText !== 'log') r.error(fm.get('scale')!.line, `\`scale\` must be linear or log; got "${scaleText}"`);
  const base: ChartBase = { fm, title, scale: scaleText === 'log' ? 'log' : 'linear', before };
  const expField = fm.get('experiment');
  const seriesField = fm.get('series');
  if (expField && seriesField) {
    r.error(s.line, "a chart draws either an experiment's results (`experiment:` + `metric:`) or numbers given in `series:`, not both");
    return null;
  }
  if (expField) return experimentChart(s, r, base, expField, { experiments, declared });
  if (seriesField) return inlineChart(s, r, base, seriesField);
  r.error(s.line, "chart has nothing to draw: give `experiment:` (an earlier experiment's id) and `metric:`, or `series:` lines");
  return null;
}

function experimentChart(
  s: RawStep,
  r: Reporter,
  base: ChartBase,
  expField: RawField,
  earlier: { experiments: ReadonlyMap<string, Experiment>; declared: ReadonlySet<string> },
): Chart | null {
  const { fm, title, scale, before } = base;
  const key = textOf(expField);
  const exp = earlier.experiments.get(key);
  const metricField = fm.get('metric');
  const metric = textOf(metricField);
  if (!exp && earlier.declared.has(key)) return null; // that experiment's own problems are reported
  if (!exp) {
    const knownKeys = [...earlier.declared];
    r.error(
      expField.line,
      `chart refers to experiment "${key}", which is not an earlier experiment in this lesson (${knownKeys.length ? `earlier: ${knownKeys.join(', ')}` : 'none comes before it'})`,
    );
  } else {
    const allowed: readonly string[] = CHART_METRICS[exp.kind === 'probe' ? exp.probe : 'train'];
    if (!metricField || metric === '') r.error(s.line, `chart has no \`metric\` (one of: ${allowed.join(', ')})`);
    else if (!allowed.includes(metric)) r.error(metricField.line, `unknown metric "${metric}" for this experiment (known: ${allowed.join(', ')})`);
  }
  for (const k of ['x', 'y'] as const) if (fm.has(k)) r.error(fm.get(k)!.line, `\`${k}\` applies to \`series:\` charts only`);
  if (r.errors > before) return null;
  return { source: 'experiment', experiment: key, metric, title, scale, line: s.line };
}

function inlineChart(s: RawStep, r: Reporter, base: ChartBase, seriesField: RawField): Chart | null {
  const { fm, title, scale, before } = base;
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
  if (fm.has('metric')) r.error(fm.get('metric')!.line, '`metric` applies to experiment charts only');
  if (r.errors > before) return null;
  const x = textOf(fm.get('x'));
  const y = textOf(fm.get('y'));
  return { source: 'inline', series, title, x, y, scale, line: s.line };
}
