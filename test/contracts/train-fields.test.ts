import { join } from 'node:path';
import { tmpdir } from 'node:os';
import yargs from 'yargs';
import { describe, expect, it } from 'vitest';
import { rawConfigFromArgs, trainFlags, withTrainOptions } from '../../src/commands/train-options.js';
import { checkNetForData, DEFAULT_CONFIG, resolveConfig } from '../../src/contracts/train-config.js';
import { ConfigError, LESSON_TRAIN_KEYS, TRAIN_FIELD_TABLE, type TrainField } from '../../src/contracts/train-fields.js';
import { buildLesson } from '../../src/lessons/check/build-lesson.js';
import { optionName, TRAIN_FIELDS } from '../../src/lessons/check/config-keys.js';
import { parseLesson } from '../../src/lessons/parse.js';
import { UserError } from '../../src/util/errors.js';

/** A value outside the row's range or choices, or null for a row that has none (dataset: any name). */
function badValue(f: TrainField): string | null {
  if (f.type === 'enum') return 'bogus';
  if (f.type === 'int' || f.type === 'number') {
    if (f.min !== undefined) return String(f.minExclusive ? f.min : f.min - 1);
    if (f.max !== undefined) return String(f.max + 1);
  }
  return null;
}

describe('the field table', () => {
  it('has one row per config field, each with a flag, a type and help', () => {
    const fields = TRAIN_FIELD_TABLE.map((f) => f.field);
    expect(new Set(fields).size).toBe(fields.length);
    expect(new Set(TRAIN_FIELD_TABLE.map((f) => f.flag)).size).toBe(fields.length);
    // Every field resolveConfig returns has a row, and every row but `recipe` is a field it returns.
    expect([...fields].filter((f) => f !== 'recipe').sort()).toEqual(Object.keys(resolveConfig({})).sort());
    for (const f of TRAIN_FIELD_TABLE) {
      expect(f.help.length, f.field).toBeGreaterThan(10);
      if (f.type === 'enum') expect(f.choices?.length, f.field).toBeGreaterThan(0);
    }
  });

  it('reaches yargs: every row is a flag of train (and compare), in its group, with its help', () => {
    // getOptions is yargs' own record of the declared options (public at run time, missing from its types).
    const argv = withTrainOptions(yargs([])) as unknown as { getOptions(): { key: Record<string, unknown>; string: string[] } };
    const options = argv.getOptions();
    for (const f of TRAIN_FIELD_TABLE) {
      expect(Object.keys(options.key), f.flag).toContain(f.flag);
      expect(options.string, f.flag).toContain(f.flag);
    }
    // What yargs parses reaches the raw config under the field's name.
    const args = withTrainOptions(yargs([])).parseSync(
      TRAIN_FIELD_TABLE.flatMap((f) => [`--${f.flag}`, f.type === 'enum' ? f.choices![0]! : '7']),
    );
    expect(Object.keys(rawConfigFromArgs(args)).sort()).toEqual(TRAIN_FIELD_TABLE.map((f) => f.field).sort());
    expect(Object.keys(trainFlags({ batchSize: { describe: 'd', group: 'Probe:' } }))).toEqual(['batch-size']);
  });

  it('checks flag values as typed by the row type: decimal digits for ints, decimals for numbers', () => {
    for (const f of TRAIN_FIELD_TABLE) {
      if (f.type === 'int') expect(() => rawConfigFromArgs({ [f.field]: '0x10' }), f.flag).toThrow(`--${f.flag} must be a whole number`);
      if (f.type === 'number')
        expect(() => rawConfigFromArgs({ [f.field]: '0x10' }), f.flag).toThrow(`--${f.flag} must be a decimal number`);
      if (f.type === 'enum' || f.type === 'string') expect(rawConfigFromArgs({ [f.field]: '0x10' })).toEqual({ [f.field]: '0x10' });
    }
  });

  it('reaches resolveConfig: the row default when absent, and a ConfigError naming the field when out of range', () => {
    const resolved = resolveConfig({}) as unknown as Record<string, unknown>;
    for (const f of TRAIN_FIELD_TABLE) {
      if (f.field !== 'recipe') expect(resolved[f.field], f.field).toEqual(f.default);
      if (f.field !== 'recipe') expect((DEFAULT_CONFIG as unknown as Record<string, unknown>)[f.field], f.field).toEqual(f.default);
      const bad = badValue(f);
      if (bad === null) continue;
      let caught: unknown;
      try {
        resolveConfig({ [f.field]: bad });
      } catch (err) {
        caught = err;
      }
      expect(caught, f.field).toBeInstanceOf(ConfigError);
      expect(caught, f.field).toBeInstanceOf(UserError);
      expect((caught as ConfigError).field).toBe(f.field);
      expect((caught as ConfigError).message).toContain(`--${f.flag} must be`);
    }
    // Also the rules between fields, and the net-for-data check.
    expect(() => resolveConfig({ net: 'cnn', depth: '12' })).toThrow(expect.objectContaining({ field: 'depth' }) as Error);
    expect(() => checkNetForData(resolveConfig({ net: 'unet' }), { inputShape: [28, 28, 1], task: 'classification' })).toThrow(
      expect.objectContaining({ field: 'net' }) as Error,
    );
  });

  it('reaches the lesson checker: its keys, their option names, and each bad value at its own line', () => {
    const lessonRows = TRAIN_FIELD_TABLE.filter((f) => f.lessonKey !== null);
    expect([...TRAIN_FIELDS]).toEqual(lessonRows.map((f) => f.lessonKey));
    expect([...TRAIN_FIELDS]).toEqual(LESSON_TRAIN_KEYS);
    for (const f of lessonRows) expect(optionName(f.lessonKey!)).toBe(f.field);
    for (const f of lessonRows) {
      const bad = badValue(f);
      if (bad === null) continue;
      const problems = lessonProblems([`${f.lessonKey}: ${bad}`]);
      // The bad field is the first line of the experiment's fields (line 16, see below).
      expect(problems, f.field).toEqual([expect.stringMatching(new RegExp(`^16: \`${f.field}\` must be`))]);
    }
  });

  it('reports a cross-field rule at the line of the field the ConfigError names', () => {
    expect(lessonProblems(['net: cnn', 'dataset: synthetic-spiral', 'depth: 12'])).toEqual([
      expect.stringMatching(/^18: `depth` for --net cnn with basic blocks must be 6n\+2/),
    ]);
    expect(lessonProblems(['dataset: synthetic-segment', 'net: mlp'])).toEqual([
      expect.stringMatching(/^16: `dataset` synthetic-segment is a segmentation data set/),
    ]);
  });
});

/** The errors of a lesson whose one experiment sets `fields` (from line 16 on), `line: message`. */
function lessonProblems(fields: string[]): string[] {
  const front = ['---', 'format: 1', 'id: x', 'number: 1', 'title: T', 'summary: S', 'minutes: 5', '---', ''];
  const experiment = ['::: experiment', 'kind: train', 'title: T', 'predict: P', 'measure: final train loss', 'cost: 5', ...fields];
  expect(front.length + experiment.length - fields.length + 1).toBe(16);
  const questions = [0, 1, 2].flatMap((i) => [
    '::: question',
    'type: numeric',
    `id: q${i}`,
    'prompt: P',
    'answer: 3',
    'tolerance: 0.5',
    'hint: H',
    'explain: E',
    ':::',
  ]);
  // A second, valid experiment: the course's one-experiment rule is not what these tests are about.
  const valid = [
    '::: experiment',
    'kind: train',
    'id: ok',
    'title: T',
    'predict: P',
    'measure: final train loss',
    'cost: 5',
    'dataset: synthetic-spiral',
    'steps: 10',
  ];
  const end = ['source: tutor', 'check: [final train loss] >= 0', ':::'];
  const text = [...front, ...experiment, ...end, ...questions, ...valid, ...end].join('\n');
  const parsed = parseLesson(text, 'l.md');
  expect(parsed.problems).toEqual([]);
  const built = buildLesson(parsed.lesson!, { file: 'l.md', path: join(tmpdir(), '01-x.md') });
  return built.problems.filter((p) => p.severity === 'error').map((p) => `${p.line}: ${p.message}`);
}
