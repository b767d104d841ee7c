import type { Argv, Options } from 'yargs';
import { TRAIN_FIELD_TABLE, trainField, type FieldName, type TrainField } from '../contracts/train-fields.js';
import { BACKEND_CHOICES, flagDefault } from '../stores/settings.js';
import { UserError } from '../util/errors.js';

export const BACKEND_OPTION_CHOICES = BACKEND_CHOICES;

/**
 * The options `train` and `compare` share (DESIGN.md, command-line contract). `--backend`,
 * `--run-dir` and `--color` default to the user's settings (`resnet-tutor config`), read only when
 * the command's builder runs, so the top-level `--help` never touches the settings file.
 */
/** `--backend` and `--run-dir` in the Run: group, defaulting to the saved settings (train, compare, probe). */
export function runOptions(backendDescribe: string): Record<'backend' | 'run-dir', Options> {
  return {
    backend: { type: 'string', choices: BACKEND_OPTION_CHOICES, ...flagDefault('backend'), describe: backendDescribe, group: 'Run:' },
    'run-dir': { type: 'string', ...flagDefault('runDir'), describe: 'Folder that holds run folders', group: 'Run:' },
  };
}

/** A table row as a yargs option (every value a string: `strictValue` and `resolveConfig` check it). */
function optionOf(f: TrainField): Options {
  return { type: f.type === 'bool' ? 'boolean' : 'string', describe: f.help, group: f.group };
}

/**
 * Training flags from the field table under other help texts (probe: what each means for a probe).
 * `overrides` is keyed by config field; the flag name and type come from the table.
 */
export function trainFlags(overrides: Partial<Record<FieldName, { describe: string; group: string }>>): Record<string, Options> {
  const out: Record<string, Options> = {};
  for (const [field, o] of Object.entries(overrides) as [FieldName, { describe: string; group: string }][]) {
    const f = trainField(field);
    out[f.flag] = { ...optionOf(f), ...o };
  }
  return out;
}

export function withTrainOptions(y: Argv): Argv {
  // The table's rows in help order; `--backend` and `--run-dir` lead the Run: group.
  const before = TRAIN_FIELD_TABLE.filter((f) => f.group !== 'Run:');
  const run = TRAIN_FIELD_TABLE.filter((f) => f.group === 'Run:');
  return y
    .options(Object.fromEntries(before.map((f) => [f.flag, optionOf(f)])))
    .options(runOptions('Compute backend; auto tries node-gpu, webgpu, node, wasm, cpu'))
    .options(Object.fromEntries(run.map((f) => [f.flag, optionOf(f)])))
    .option('headless', {
      type: 'boolean',
      describe: 'Print plain progress lines (the default when stdout is not a terminal)',
      group: 'Run:',
    })
    .option('json', { type: 'boolean', describe: 'Print JSON lines (one per metrics line and event) instead', group: 'Run:' })
    .option('color', {
      type: 'boolean',
      ...flagDefault('color'),
      describe: 'Colours in the dashboard (--no-color turns them off; NO_COLOR is honoured too)',
      group: 'Run:',
    });
}

/** Picks the config fields out of parsed yargs arguments (camel-cased by yargs). */
export function rawConfigFromArgs(args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of TRAIN_FIELD_TABLE) if (args[f.field] !== undefined) out[f.field] = strictValue(f, args[f.field]);
  return out;
}

/**
 * Decimal notation only: no hex (0x10), octal (0o20), binary, exponent (1e3), Infinity or spaces.
 * A sign or a fraction passes here so that the range check says what is wrong with -1 or 12.5.
 */
const INTEGER = /^-?(\d+\.?\d*|\.\d+)$/;
const DECIMAL = /^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * Refuses what JavaScript's Number() would quietly accept or a comma list would quietly drop: an
 * empty value (`--dataset ''` is not the default data set), `0x10` for 16, `1e3` for an integer,
 * a blank, or an empty item in a comma list (`--lr 0.1,,0.2`). Checked on the text as typed, item
 * by item (compare splits lists later), so each message names the flag and the item.
 */
function strictValue(f: TrainField, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const flag = `--${f.flag}`;
  if (value.trim() === '') {
    throw new UserError(`${flag} needs a value; got an empty one. Leave the flag out for its default.`);
  }
  const items = value.split(',');
  if (items.length > 1 && items.some((i) => i.trim() === '')) {
    throw new UserError(
      `${flag} has an empty item in its comma list ("${value}"); give each value once, e.g. ${flag} ${items.filter((i) => i.trim() !== '').join(',')}.`,
    );
  }
  for (const item of items.map((i) => i.trim())) {
    if (f.type === 'int' && !INTEGER.test(item)) {
      throw new UserError(`${flag} must be a whole number written in decimal digits (like 20); got "${item}".`);
    }
    if (f.type === 'number' && !DECIMAL.test(item)) {
      throw new UserError(`${flag} must be a decimal number (like 0.05 or 1e-4); got "${item}".`);
    }
  }
  return value;
}
