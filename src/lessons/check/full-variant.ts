/**
 * The `full:` block of an experiment: the paper-sized variant, written as changes to the quick one
 * (configuration fields, and its own `compare`, `cost`, `check` and `seeds`).
 */
import type { RawField } from '../parse.js';
import type { ProbeName, ProbeRun, TrainRun, Variant } from '../types.js';
import { splitList, type Reporter } from './fields.js';
import { checkOf, withCheck, type DeclaredCheck } from './prediction-check.js';
import { variant, type KeyList, type Setting } from './variants.js';

/** Fields a `full:` block may set besides the configuration. */
const FULL_META = ['compare', 'cost', 'check', 'seeds'] as const;

/** What the full variant starts from: the quick variant's fields, and how to read and check them. */
export interface QuickBase {
  readonly settings: ReadonlyMap<string, Setting>;
  readonly compare: KeyList | null;
  readonly paired: KeyList | null;
  readonly check: DeclaredCheck | null;
  readonly seeds: number;
  readonly probe: ProbeName | null;
  readonly measure: string;
  readonly source: string;
  /** The configuration keys this kind of experiment takes, and its name for messages. */
  readonly configFields: readonly string[];
  readonly what: string;
  readonly valuesOf: (key: string, text: string) => string[];
  readonly seedsOf: (text: string, line: number) => number;
  readonly costOf: (f: RawField, line: number) => number;
}

/** The full variant's own values, starting from the quick variant's. */
interface FullChanges {
  readonly settings: Map<string, Setting>;
  compare: KeyList | null;
  cost: number | null;
  check: DeclaredCheck | null;
  seeds: number;
}

export function fullVariant(r: Reporter, fullField: RawField, q: QuickBase): Variant<TrainRun> | Variant<ProbeRun> | null {
  if (fullField.value !== '') r.error(fullField.line, "put the full variant's fields on indented lines below `full:`");
  if (fullField.more.length === 0) {
    r.error(fullField.line, '`full:` has no fields: list the changes for the paper-sized run (e.g. `dataset: cifar10`) on indented lines');
  }
  const { settings, compare, cost, check, seeds } = fullChanges(r, fullField, q);
  if (cost === null) r.error(fullField.line, '`full:` has no `cost` (expected seconds on one GPU)');
  const bare = variant(r, {
    settings,
    compare,
    paired: compare ? q.paired : null,
    cost: cost ?? 0,
    probe: q.probe,
    source: q.source,
    full: true,
    stepLine: fullField.line,
  });
  return bare && check ? withCheck(r, bare, check, seeds, q.probe, q.measure, true) : null;
}

/** Reads the `key: value` lines of `full:` over the quick variant's values. */
function fullChanges(r: Reporter, fullField: RawField, q: QuickBase): FullChanges {
  const out: FullChanges = { settings: new Map(q.settings), compare: q.compare, cost: null, check: q.check, seeds: q.seeds };
  for (const l of fullField.more) {
    const m = /^([a-z][a-z0-9-]*)\s*:\s*(.*)$/.exec(l.text);
    if (!m) {
      r.error(l.line, `expected a \`key: value\` line in \`full:\`; got \`${l.text}\``);
      continue;
    }
    const [, k, v] = m as unknown as [string, string, string];
    if (k === 'compare') out.compare = v.trim() === 'none' ? null : { values: splitList(v), line: l.line };
    else if (k === 'check') out.check = checkOf(r, v, l.line);
    else if (k === 'seeds') out.seeds = q.seedsOf(v, l.line);
    else if (k === 'cost') out.cost = q.costOf({ key: k, value: v, line: l.line, more: [] }, l.line);
    else if (q.configFields.includes(k)) out.settings.set(k, { values: q.valuesOf(k, v), line: l.line, text: v });
    else r.error(l.line, `unknown field \`${k}\` in \`full:\` of ${q.what} (known: ${[...FULL_META, ...q.configFields].join(', ')})`);
  }
  return out;
}
