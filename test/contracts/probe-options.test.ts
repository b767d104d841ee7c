import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/contracts/train-config.js';
import {
  resolveLesionOptions,
  resolvePathsOptions,
  resolveShatterOptions,
  resolveVarianceOptions,
  type RunRef,
} from '../../src/contracts/probe-options.js';
import { resolveConfig } from '../../src/contracts/train-config.js';
import { UserError } from '../../src/util/errors.js';

/** The error `fn` throws (failing the test when it throws none). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

describe('probe option errors name their option', () => {
  it('a bad value is a ConfigError with the option name; the flag message is unchanged', () => {
    const err = thrown(() => resolveShatterOptions({ inputBias: '-1' }));
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe('inputBias');
    expect((err as ConfigError).message).toBe('--input-bias must be a number from 0 to 100; got "-1".');
  });

  it('in a lesson the message names the option in its source', () => {
    const err = thrown(() => resolveVarianceOptions({ batchSize: 1 }, 'l.md line 3')) as ConfigError;
    expect([err.field, err.message]).toEqual(['batchSize', '`batchSize` in l.md line 3 must be an integer from 2 to 4096; got "1".']);
  });

  it.each([
    ['variance dataset', () => resolveVarianceOptions({ dataset: 'imagenet' }), 'dataset'],
    ['variance segmentation data', () => resolveVarianceOptions({ dataset: 'synthetic-segment' }), 'dataset'],
    ['variance cnn on 1-D data', () => resolveVarianceOptions({ net: 'cnn', depth: 8, dataset: 'synthetic-1d' }), 'net'],
    ['variance arch list', () => resolveVarianceOptions({ arch: 'plain,bogus' }), 'arch'],
    ['shatter net', () => resolveShatterOptions({ net: 'cnn' }), 'net'],
    ['shatter arch', () => resolveShatterOptions({ arch: 'plain' }), 'arch'],
    ['paths plain arch', () => resolvePathsOptions({ arch: 'plain' }, null), 'arch'],
    ['paths unknown arch', () => resolvePathsOptions({ arch: 'densenet' }, null), 'arch'],
    ['paths samples', () => resolvePathsOptions({ samples: 0 }, null), 'samples'],
  ])('%s', (_, fn, field) => {
    const err = thrown(fn);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe(field);
  });

  it('an error about the run rather than an option stays a plain UserError', () => {
    const run: RunRef = { id: 'r1', path: '', config: resolveConfig({ arch: 'plain' }, 'flag') };
    const err = thrown(() => resolvePathsOptions({}, run));
    expect(err).toBeInstanceOf(UserError);
    expect(err).not.toBeInstanceOf(ConfigError);
    const withOption = thrown(() => resolveLesionOptions({ depth: 4 }, run)) as ConfigError;
    expect([withOption.field, withOption.message]).toEqual([
      'depth',
      "--depth does not apply to the lesion probe: it uses the run's own network and data set.",
    ]);
  });
});
