/**
 * The configuration keys an experiment may set, as a lesson writes them (kebab-case, like the CLI
 * flags), and the mapping between them and the engine's option names.
 */
import { LESSON_TRAIN_KEYS, TRAIN_FIELD_TABLE, trainFieldOfLessonKey } from '../../contracts/train-fields.js';
import type { ProbeName } from '../types.js';

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
export const NATIVE_LISTS: Readonly<Partial<Record<ProbeName, readonly string[]>>> = { variance: ['arch'] };

/** Optional configuration fields that `none` resets (e.g. `train-limit: none` in a full variant). */
export const NULLABLE = new Set(TRAIN_FIELD_TABLE.filter((f) => f.lessonNone && f.lessonKey !== null).map((f) => f.lessonKey));

/**
 * The option name a lesson key stands for: a training field's config name from the field table
 * (`batch-size` -> `batchSize`), else a probe option's camelCase (`input-bias` -> `inputBias`).
 */
export function optionName(key: string): string {
  return trainFieldOfLessonKey(key)?.field ?? key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The lesson key of an option name, the inverse of `optionName`. */
export function lessonKeyOf(name: string): string {
  return TRAIN_FIELD_TABLE.find((f) => f.field === name)?.lessonKey ?? name.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`);
}
