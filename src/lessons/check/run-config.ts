/**
 * Checks one run's configuration the way the engine will, before anything runs: a training run with
 * `resolveConfig` (the lesson as the source), the data set name and CNNs only on images; a probe
 * with the probe's own option checks. Every error names its option, so it is reported at the line
 * that set it.
 */
import { ConfigError, checkNetForData, resolveConfig, type TrainConfig } from '../../contracts/train-config.js';
import { resolveLesionOptions, resolvePathsOptions, resolveShatterOptions, resolveVarianceOptions } from '../../contracts/probe-options.js';
import { DATASET_INFO, DATASET_NAMES, isDatasetName } from '../../data/index.js';
import { UserError } from '../../util/errors.js';
import type { ProbeName } from '../types.js';
import { lessonKeyOf } from './config-keys.js';

export interface RunConfigInput {
  readonly probe: ProbeName | null;
  /** Where the values came from, as the engine's messages name it (`<file> line N`); left out of the lesson's messages. */
  readonly source: string;
  readonly stepLine: number;
  /** The line that set an option (by its option name), the step's line when none did. */
  readonly lineOf: (name: string) => number;
  readonly report: (line: number, message: string) => void;
}

/**
 * Returns the training configuration (null for the probes that train nothing), or false after
 * reporting a problem.
 */
export function checkRunConfig(raw: Record<string, unknown>, v: RunConfigInput): TrainConfig | null | false {
  const fail = (err: unknown): false => {
    if (!(err instanceof UserError)) throw err;
    // A ConfigError (training fields and probe options alike) names its option; other UserErrors
    // (e.g. a probe that does not apply to the run's network) are about the whole step.
    const line = err instanceof ConfigError ? v.lineOf(err.field) : v.stepLine;
    v.report(line, err.message.replaceAll(` in ${v.source}`, '').replace(/\.$/, ''));
    return false;
  };
  try {
    if (v.probe === 'variance') resolveVarianceOptions(raw, v.source);
    if (v.probe === 'shatter') resolveShatterOptions(raw, v.source);
    if (v.probe === 'paths') resolvePathsOptions(raw, null, v.source);
    if (v.probe && v.probe !== 'lesion') return null;
  } catch (err) {
    return fail(err);
  }
  const { limit, ...trainRaw } = raw;
  let config: TrainConfig;
  try {
    config = resolveConfig(trainRaw, v.source);
  } catch (err) {
    return fail(err);
  }
  if (!dataFits(config, v)) return false;
  if (v.probe === 'lesion') {
    try {
      resolveLesionOptions(limit === undefined ? {} : { limit }, { id: 'lesson', path: '', config }, v.source);
    } catch (err) {
      return fail(err);
    }
  }
  return config;
}

/** The data set is known and suits the network (CNNs on images, the engine's own net-for-data rules). */
function dataFits(config: TrainConfig, v: RunConfigInput): boolean {
  if (!isDatasetName(config.dataset)) {
    v.report(v.lineOf('dataset'), `unknown data set "${config.dataset}" (known: ${DATASET_NAMES.join(', ')})`);
    return false;
  }
  const info = DATASET_INFO[config.dataset];
  if (config.net === 'cnn' && info.inputShape.length !== 3) {
    v.report(
      v.lineOf('net'),
      `\`net: cnn\` needs image data, but ${config.dataset} has examples of shape [${info.inputShape.join(', ')}]: use \`net: mlp\`, or fashion-mnist, mnist or cifar10`,
    );
    return false;
  }
  try {
    checkNetForData(config, info, (name) => `\`${lessonKeyOf(name)}\``);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    v.report(v.lineOf(err.field), err.message.replace(/\.$/, ''));
    return false;
  }
  return true;
}
