/**
 * A lesson's `check:` (lessons/FORMAT.md): the prediction written as conditions over the measured
 * numbers, parsed here and evaluated on every seed and on the means, so the tutor says whether the
 * prediction held in the student's own run instead of leaving the comparison to the student.
 *
 *   check: [depth 20] > [depth 2]; [depth 20] between 0.5 and 3
 *   check: [residual-bn] < 2 * [plain]
 *
 * No tfjs and no file system: the checker (check/) and the runner (experiment-runner.ts) share it.
 */
import type { Measurement, Verdict } from '../contracts/lesson-results.js';

export type Term =
  | { readonly kind: 'label'; readonly label: string; readonly factor: number }
  | { readonly kind: 'number'; readonly value: number };

export type Comparison = '>' | '<' | '>=' | '<=';

export type Condition =
  | { readonly op: Comparison; readonly left: Term; readonly right: Term; readonly text: string }
  | { readonly op: 'between'; readonly left: Term; readonly low: number; readonly high: number; readonly text: string };

export interface Check {
  readonly conditions: readonly Condition[];
  /** As written in the lesson. */
  readonly text: string;
}

/** What `check:` accepts, for error messages. */
export const CHECK_SYNTAX =
  'conditions separated by `;`, each `A > B`, `A < B`, `A >= B`, `A <= B` or `A between X and Y`, ' +
  'where a term is `[label]` (a measured value), a number, or `N * [label]`; e.g. `[depth 20] > [depth 2]`';

export class CheckSyntaxError extends Error {}

type Token =
  | { readonly t: 'label'; readonly label: string }
  | { readonly t: 'number'; readonly value: number }
  | { readonly t: 'op'; readonly op: Comparison }
  | { readonly t: 'times' }
  | { readonly t: 'word'; readonly word: 'between' | 'and' };

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?/i;

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i += 1;
      continue;
    }
    if (c === '[') {
      const end = text.indexOf(']', i + 1);
      if (end < 0 || text.slice(i + 1, end).includes('[')) throw new CheckSyntaxError(`\`[\` at "${text.slice(i)}" has no closing \`]\``);
      const label = text.slice(i + 1, end).trim().replace(/\s+/g, ' ');
      if (label === '') throw new CheckSyntaxError('`[]` names no measured value: write its label, e.g. `[depth 20]`');
      out.push({ t: 'label', label });
      i = end + 1;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === '>=' || two === '<=') {
      out.push({ t: 'op', op: two });
      i += 2;
      continue;
    }
    if (c === '>' || c === '<') {
      out.push({ t: 'op', op: c });
      i += 1;
      continue;
    }
    if (c === '*') {
      out.push({ t: 'times' });
      i += 1;
      continue;
    }
    const num = NUMBER.exec(text.slice(i));
    if (num) {
      out.push({ t: 'number', value: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const word = /^[A-Za-z]+/.exec(text.slice(i))?.[0];
    if (word === 'between' || word === 'and') {
      out.push({ t: 'word', word });
      i += word.length;
      continue;
    }
    throw new CheckSyntaxError(`unexpected "${word ?? c}" (labels go in square brackets, e.g. \`[depth 20]\`)`);
  }
  return out;
}

/** Parses a `check:` value; throws CheckSyntaxError saying what was expected. */
export function parseCheck(text: string): Check {
  const parts = text.split(';').map((p) => p.trim());
  if (parts.every((p) => p === '')) throw new CheckSyntaxError(`\`check\` is empty; expected ${CHECK_SYNTAX}`);
  const conditions = parts.filter((p) => p !== '').map(parseCondition);
  return { conditions, text: text.trim() };
}

function parseCondition(text: string): Condition {
  const tokens = tokenize(text);
  let i = 0;
  const where = () => (i < tokens.length ? `in "${text}"` : `at the end of "${text}"`);
  const term = (): Term => {
    const t = tokens[i];
    if (t?.t === 'label') {
      i += 1;
      return { kind: 'label', label: t.label, factor: 1 };
    }
    if (t?.t === 'number') {
      i += 1;
      if (tokens[i]?.t === 'times') {
        i += 1;
        const l = tokens[i];
        if (l?.t !== 'label') throw new CheckSyntaxError(`expected a \`[label]\` after \`${t.value} *\` ${where()}`);
        i += 1;
        return { kind: 'label', label: l.label, factor: t.value };
      }
      return { kind: 'number', value: t.value };
    }
    throw new CheckSyntaxError(`expected a term (\`[label]\`, a number or \`N * [label]\`) ${where()}`);
  };
  const left = term();
  const op = tokens[i];
  let cond: Condition;
  if (op?.t === 'op') {
    i += 1;
    const right = term();
    cond = { op: op.op, left, right, text };
  } else if (op?.t === 'word' && op.word === 'between') {
    i += 1;
    const low = tokens[i];
    const and = tokens[i + 1];
    const high = tokens[i + 2];
    if (low?.t !== 'number' || and?.t !== 'word' || and.word !== 'and' || high?.t !== 'number') {
      throw new CheckSyntaxError(`\`between\` takes two numbers: \`A between X and Y\`; got "${text}"`);
    }
    i += 3;
    if (low.value > high.value) throw new CheckSyntaxError(`\`between ${low.value} and ${high.value}\`: the first number must be the smaller`);
    cond = { op: 'between', left, low: low.value, high: high.value, text };
  } else {
    throw new CheckSyntaxError(`expected \`>\`, \`<\`, \`>=\`, \`<=\` or \`between\` ${where()}`);
  }
  if (i < tokens.length) throw new CheckSyntaxError(`unexpected text after the condition in "${text}" (separate conditions with \`;\`)`);
  if (termsOf(cond).every((t) => t.kind === 'number')) {
    throw new CheckSyntaxError(`"${text}" compares only numbers: name a measured value as \`[label]\``);
  }
  return cond;
}

function termsOf(c: Condition): Term[] {
  return c.op === 'between' ? [c.left] : [c.left, c.right];
}

/** Every `[label]` the check refers to, in order of first use. */
export function checkLabels(check: Check): string[] {
  const out: string[] = [];
  for (const c of check.conditions) for (const t of termsOf(c)) if (t.kind === 'label' && !out.includes(t.label)) out.push(t.label);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Evaluation.

/** A run that stopped making finite numbers, for the verdict's details. */
export interface DivergedRun {
  readonly label: string;
  readonly seed: number;
  readonly step: number;
  /** The unit where it was seen first ("block3"), or '' when not known. */
  readonly block: string;
}

export interface VerdictContext {
  /** The seed of each perSeed index (e.g. [1, 2, 3]). */
  readonly seeds: readonly number[];
  readonly diverged: readonly DivergedRun[];
  /** What kind of experiment ran, for the caveat. */
  readonly kind: 'train' | 'probe';
  /** A short description of the budget ("300 steps on 10000 examples"), for the caveat; '' when none. */
  readonly budget: string;
}

/** A number with its unit as the student reads it: "1.23 nats", "85.2%", "1.98x per block", "0.97". */
export function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return 'no number';
  const n = formatNumber(value);
  if (unit === '') return n;
  if (unit === '%') return `${n}%`;
  if (unit.startsWith('x ')) return `${n}${unit}`;
  return `${n} ${unit}`;
}

/** Three significant digits, without exponent noise for everyday sizes. */
export function formatNumber(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) return v.toPrecision(3);
  if (a >= 1000) return String(Math.round(v));
  return String(Number(v.toPrecision(3)));
}

const PHRASE: Record<Comparison, { yes: string; no: string }> = {
  '>': { yes: 'above', no: 'not above' },
  '<': { yes: 'below', no: 'not below' },
  '>=': { yes: 'at least', no: 'below' },
  '<=': { yes: 'at most', no: 'above' },
};

function holds(c: Condition, value: (t: Term) => number): boolean | null {
  const l = value(c.left);
  if (!Number.isFinite(l)) return null;
  if (c.op === 'between') return l >= c.low && l <= c.high;
  const r = value(c.right);
  if (!Number.isFinite(r)) return null;
  switch (c.op) {
    case '>':
      return l > r;
    case '<':
      return l < r;
    case '>=':
      return l >= r;
    case '<=':
      return l <= r;
  }
}

/**
 * Judges a check against the measurements: on each seed (values paired by seed index) and on the
 * means. `held` only when every condition holds in every seed; `undecided` when a number the check
 * needs is missing or its run diverged; `not-held` otherwise. The headline gives the means with
 * units; the details give each number's seeds and spread, and where a run diverged.
 */
export function evaluateCheck(check: Check, measurements: readonly Measurement[], ctx: VerdictContext): Verdict {
  const byLabel = new Map(measurements.map((m) => [m.label, m]));
  const labels = checkLabels(check);
  const missingLabels = labels.filter((l) => !byLabel.has(l));
  const used = labels.map((l) => byLabel.get(l)).filter((m): m is Measurement => m !== undefined);
  const seedCount = Math.max(1, ...used.map((m) => m.perSeed.length));
  const seedName = (i: number) => `seed ${ctx.seeds[i] ?? i + 1}`;
  const details: string[] = used.map((m) => detailOf(m, ctx.seeds));

  const diverged = ctx.diverged.filter((d) => labels.includes(d.label));
  for (const d of diverged) {
    details.push(`${d.label || 'the run'} (seed ${d.seed}) diverged at step ${d.step}${d.block ? ` in ${d.block}` : ''}: its numbers became infinite or NaN.`);
  }
  const unitOf = (t: Term, other?: Term): string =>
    t.kind === 'label' ? (byLabel.get(t.label)?.unit ?? '') : other?.kind === 'label' ? (byLabel.get(other.label)?.unit ?? '') : '';

  if (missingLabels.length > 0 || diverged.length > 0 || used.some((m) => m.perSeed.some((v) => !Number.isFinite(v)) || !Number.isFinite(m.value))) {
    for (const l of missingLabels) details.push(`The experiment produced no value labelled "${l}".`);
    for (const m of used) {
      m.perSeed.forEach((v, i) => {
        if (!Number.isFinite(v) && !diverged.some((d) => d.label === m.label && d.seed === (ctx.seeds[i] ?? i + 1))) {
          details.push(`${m.label || 'the run'} has no number for ${seedName(i)}.`);
        }
      });
    }
    const why =
      diverged.length > 0
        ? `${diverged.map((d) => `${d.label || 'the run'} (seed ${d.seed}) diverged at step ${d.step}${d.block ? ` in ${d.block}` : ''}`).join('; ')}`
        : 'a number the prediction needs is missing';
    return {
      outcome: 'undecided',
      headline: `Undecided: ${why}, so the prediction cannot be judged from this run.`,
      details,
      caveat:
        diverged.length > 0
          ? 'A run diverges when a step is too large for the network (a learning rate too high, or no BatchNorm to keep the activations in range); the prediction is about networks that train.'
          : 'The run stopped before it logged the number (it was skipped, or failed); run the experiment again.',
    };
  }

  const perSeedValue = (i: number) => (t: Term) =>
    t.kind === 'number' ? t.value : t.factor * (byLabel.get(t.label)!.perSeed[i] ?? NaN);
  const meanValue = (t: Term) => (t.kind === 'number' ? t.value : t.factor * byLabel.get(t.label)!.value);
  const seedHolds = Array.from({ length: seedCount }, (_, i) => check.conditions.every((c) => holds(c, perSeedValue(i)) === true));
  const k = seedHolds.filter(Boolean).length;
  const meansHold = check.conditions.map((c) => holds(c, meanValue) === true);

  const describe = (t: Term, other?: Term): string => {
    if (t.kind === 'number') return formatValue(t.value, unitOf(t, other));
    const m = byLabel.get(t.label)!;
    const v = formatValue(m.value, m.unit);
    const name = m.label || 'the result';
    return t.factor === 1 ? `${name} at ${v}` : `${formatNumber(t.factor)} × ${name} (${formatValue(t.factor * m.value, m.unit)})`;
  };
  const phrase = (c: Condition, yes: boolean): string => {
    if (c.op === 'between') {
      const range = `${formatValue(c.low, unitOf(c.left))} and ${formatValue(c.high, unitOf(c.left))}`;
      return `${describe(c.left)} is ${yes ? '' : 'not '}between ${range}`;
    }
    return `${describe(c.left, c.right)} is ${yes ? PHRASE[c.op].yes : PHRASE[c.op].no} ${describe(c.right, c.left)}`;
  };
  const seedsText = seedCount === 1 ? `1 seed, ${seedName(0)}` : `${k} of ${seedCount} seeds`;
  const statement = check.conditions.map((c, j) => phrase(c, meansHold[j]!)).join('; ');

  if (k === seedCount) {
    return { outcome: 'held', headline: `Held in your run: ${statement} (${seedsText}).`, details, caveat: '' };
  }
  if (seedCount > 1) {
    details.push(`By seed: ${seedHolds.map((h, i) => `${seedName(i)} ${h ? 'held' : 'did not hold'}`).join(', ')}.`);
  }
  const allMeans = meansHold.every(Boolean);
  const headline = allMeans
    ? `Did not hold in every seed: on average ${statement}, but it held in ${seedsText}.`
    : `Did not hold in your run: ${statement} (held in ${seedsText}).`;
  return { outcome: 'not-held', headline, details, caveat: caveatOf(ctx, k, seedCount) };
}

function detailOf(m: Measurement, seeds: readonly number[]): string {
  const name = m.label || 'the result';
  if (m.perSeed.length <= 1) return `${name}: ${formatValue(m.value, m.unit)} (seed ${seeds[0] ?? 1}).`;
  const finite = m.perSeed.filter(Number.isFinite);
  const spread = finite.length > 1 ? Math.max(...finite) - Math.min(...finite) : NaN;
  const each = m.perSeed.map((v, i) => `${formatValue(v, m.unit)} (seed ${seeds[i] ?? i + 1})`).join(', ');
  return `${name}: mean ${formatValue(m.value, m.unit)} over ${m.perSeed.length} seeds: ${each}; spread ${Number.isFinite(spread) ? formatSpread(spread, m.unit) : 'n/a'}.`;
}

/** A spread is a difference: percentages become percentage points; a factor's spread is plain. */
function formatSpread(v: number, unit: string): string {
  if (unit === '%') return `${formatNumber(v)} percentage points`;
  if (unit.startsWith('x ')) return formatNumber(v);
  return formatValue(v, unit);
}

function caveatOf(ctx: VerdictContext, k: number, n: number): string {
  const budget = ctx.budget ? ` (${ctx.budget})` : '';
  if (n > 1 && k > 0) {
    return `The seeds disagree: in a short run${budget} the random initialisation and the order of the batches move the numbers by about as much as the effect, so a single seed can go either way; the full variant trains longer.`;
  }
  if (ctx.kind === 'train') {
    return `This run is short${budget}: an effect that needs longer training may not show yet, or the learning rate may suit one network better than the other. It can also mean the claim does not hold in this setting, which is worth knowing too.`;
  }
  return `The probe measures a few randomly initialised networks of this size${budget}; narrow nets and few samples make its numbers noisy. It can also mean the claim does not hold in this setting, which is worth knowing too.`;
}
