import { describe, expect, it } from 'vitest';
import type { Measurement } from '../../src/contracts/lesson-results.js';
import { CheckSyntaxError, checkLabels, evaluateCheck, formatValue, parseCheck, type VerdictContext } from '../../src/lessons/verdict.js';

const m = (label: string, perSeed: number[], unit = 'nats'): Measurement => ({
  label,
  perSeed,
  value: perSeed.every(Number.isFinite) ? perSeed.reduce((a, b) => a + b, 0) / perSeed.length : NaN,
  unit,
});
const ctx = (seeds: number[], extra: Partial<VerdictContext> = {}): VerdictContext => ({ seeds, diverged: [], kind: 'train', budget: '300 steps on 10000 examples', ...extra });

describe('check syntax', () => {
  it('parses comparisons, between, factors and several conditions', () => {
    const c = parseCheck('[depth 20] > [depth 2]; [residual] between 1.7 and 2.3; [a, b] <= 0.5 * [plain]; 2 < [x]');
    expect(c.conditions.map((x) => x.op)).toEqual(['>', 'between', '<=', '<']);
    expect(c.conditions[2]).toMatchObject({ right: { kind: 'label', label: 'plain', factor: 0.5 } });
    expect(checkLabels(c)).toEqual(['depth 20', 'depth 2', 'residual', 'a, b', 'plain', 'x']);
  });

  it('says what was expected when a check does not parse', () => {
    const bad = (text: string) => {
      try {
        parseCheck(text);
        return 'parsed';
      } catch (err) {
        expect(err).toBeInstanceOf(CheckSyntaxError);
        return (err as Error).message;
      }
    };
    expect(bad('')).toMatch(/^`check` is empty/);
    expect(bad('[depth 20] bigger [depth 2]')).toBe('unexpected "bigger" (labels go in square brackets, e.g. `[depth 20]`)');
    expect(bad('[depth 20 > [depth 2]')).toMatch(/has no closing `\]`/);
    expect(bad('[depth 20]')).toMatch(/^expected `>`, `<`, `>=`, `<=` or `between` at the end of/);
    expect(bad('[x] between 3 and 1')).toMatch(/the first number must be the smaller/);
    expect(bad('[x] between 1')).toMatch(/`between` takes two numbers/);
    expect(bad('1 < 2')).toMatch(/compares only numbers/);
    expect(bad('[x] > 2 [y]')).toMatch(/unexpected text after the condition/);
    expect(bad('2 * 3')).toMatch(/expected a `\[label\]` after `2 \*`/);
  });
});

describe('verdicts', () => {
  const check = parseCheck('[depth 20] > [depth 2]');

  it('holds when every seed holds, with the means and units in the headline', () => {
    const v = evaluateCheck(check, [m('depth 2', [0.4, 0.5, 0.45]), m('depth 20', [1.2, 1.3, 1.2])], ctx([1, 2, 3]));
    expect(v.outcome).toBe('held');
    expect(v.headline).toBe('Held in your run: depth 20 at 1.23 nats is above depth 2 at 0.45 nats (3 of 3 seeds).');
    expect(v.details[0]).toBe('depth 20: mean 1.23 nats over 3 seeds: 1.2 nats (seed 1), 1.3 nats (seed 2), 1.2 nats (seed 3); spread 0.1 nats.');
    expect(v.caveat).toBe('');
  });

  it('does not hold when one seed fails, even if the means do, and says in how many it held', () => {
    const v = evaluateCheck(check, [m('depth 2', [0.4, 0.5, 1.0]), m('depth 20', [1.2, 1.3, 0.9])], ctx([1, 2, 3]));
    expect(v.outcome).toBe('not-held');
    expect(v.headline).toMatch(/^Did not hold in every seed: on average depth 20 at 1.13 nats is above depth 2 at 0.633 nats, but it held in 2 of 3 seeds\.$/);
    expect(v.details).toContain('By seed: seed 1 held, seed 2 held, seed 3 did not hold.');
    expect(v.caveat).toMatch(/^The seeds disagree/);
  });

  it('reports a contradicted prediction as plainly as one that held', () => {
    const v = evaluateCheck(check, [m('depth 2', [0.9]), m('depth 20', [0.4])], ctx([7]));
    expect(v.outcome).toBe('not-held');
    expect(v.headline).toBe('Did not hold in your run: depth 20 at 0.4 nats is not above depth 2 at 0.9 nats (held in 1 seed, seed 7).');
    expect(v.caveat).toMatch(/^This run is short \(300 steps on 10000 examples\)/);
  });

  it('is undecided when a run the check needs diverged, naming the step and block', () => {
    const v = evaluateCheck(check, [m('depth 2', [0.4]), m('depth 20', [NaN])], ctx([1], { diverged: [{ label: 'depth 20', seed: 1, step: 2, block: 'block3' }] }));
    expect(v.outcome).toBe('undecided');
    expect(v.headline).toBe('Undecided: depth 20 (seed 1) diverged at step 2 in block3, so the prediction cannot be judged from this run.');
    expect(v.details).toContain('depth 20 (seed 1) diverged at step 2 in block3: its numbers became infinite or NaN.');
    expect(v.caveat).toMatch(/step is too large/);
  });

  it('ignores a diverged run the check does not name, and is undecided when a number is missing', () => {
    const ok = evaluateCheck(check, [m('depth 2', [0.4]), m('depth 20', [0.9]), m('depth 50', [NaN])], ctx([1], { diverged: [{ label: 'depth 50', seed: 1, step: 5, block: '' }] }));
    expect(ok.outcome).toBe('held');
    const missing = evaluateCheck(check, [m('depth 2', [0.4, NaN])], ctx([1, 2]));
    expect(missing.outcome).toBe('undecided');
    expect(missing.details).toContain('The experiment produced no value labelled "depth 20".');
  });

  it('between and factors use each side\'s unit; a factor per block is not an added amount', () => {
    const c = parseCheck('[residual] between 1.7 and 2.3; [residual-bn] < 0.5 * [residual]');
    const v = evaluateCheck(c, [m('residual', [1.98], 'x per block'), m('residual-bn', [0.3], 'per block (added)')], ctx([1], { kind: 'probe', budget: '' }));
    expect(v.headline).toBe(
      'Held in your run: residual at 1.98x per block is between 1.7x per block and 2.3x per block; residual-bn at 0.3 per block (added) is below 0.5 × residual (0.99x per block) (1 seed, seed 1).',
    );
  });

  it('formats values with their units', () => {
    expect(formatValue(85.234, '%')).toBe('85.2%');
    expect(formatValue(0.97412, '')).toBe('0.974');
    expect(formatValue(1024, 'paths')).toBe('1024 paths');
    expect(formatValue(NaN, 'nats')).toBe('no number');
  });
});
