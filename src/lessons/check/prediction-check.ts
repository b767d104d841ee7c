/**
 * An experiment's `check:` (the prediction as a comparison of measured values): parsed, and its
 * `[label]`s matched against the values the variant will measure.
 */
import { resolveVarianceOptions } from '../../contracts/probe-options.js';
import { CHECK_SYNTAX, CheckSyntaxError, checkLabels, parseCheck, type Check } from '../verdict.js';
import { SHATTER_NETS, measurementLabel, type ProbeName, type ProbeRun, type TrainRun, type Variant } from '../types.js';
import type { Reporter } from './fields.js';
import type { BareVariant } from './variants.js';

/** A parsed `check:` and the line it was written on. */
export interface DeclaredCheck {
  readonly check: Check;
  readonly line: number;
}

export function checkOf(r: Reporter, text: string, line: number): DeclaredCheck | null {
  try {
    return { check: parseCheck(text), line };
  } catch (err) {
    if (!(err instanceof CheckSyntaxError)) throw err;
    r.error(line, `\`check\`: ${err.message}; expected ${CHECK_SYNTAX}`);
    return null;
  }
}

/**
 * Adds the seeds and the check to a variant, after making sure every `[label]` of the check is a
 * value the variant will measure (the labels are known before anything runs: run labels, and for
 * the variance and shatter probes the series each run produces).
 */
export function withCheck(
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
