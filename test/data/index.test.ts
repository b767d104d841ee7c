import { describe, expect, it } from 'vitest';
import { DATASET_INFO, DATASET_NAMES, datasetInfo, loadDataset } from '../../src/data/index.js';
import { UserError } from '../../src/util/errors.js';

describe('loadDataset', () => {
  it('lists the data sets', () => {
    expect(DATASET_NAMES).toEqual([
      'fashion-mnist',
      'mnist',
      'cifar10',
      'synthetic-1d',
      'synthetic-spiral',
      'synthetic-shapes',
      'synthetic-segment',
    ]);
    for (const name of DATASET_NAMES) expect(datasetInfo(name).name).toBe(name);
  });

  it('dispatches by name, and the static info matches what loads', async () => {
    for (const name of ['synthetic-1d', 'synthetic-spiral', 'synthetic-shapes', 'synthetic-segment'] as const) {
      const d = await loadDataset(name, { seed: 1 });
      const info = DATASET_INFO[name];
      expect(d.name).toBe(name);
      expect(d.inputShape).toEqual(info.inputShape);
      expect(d.task).toBe(info.task);
      expect(d.numClasses).toBe(info.numClasses);
      expect(d.train.n).toBe(info.trainSize);
      expect(d.val.n).toBe(info.valSize);
    }
  });

  it('rejects an unknown name with a UserError listing the valid ones', async () => {
    const err = await loadDataset('cifar100').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/Unknown data set "cifar100"/);
    for (const name of DATASET_NAMES) expect((err as Error).message).toContain(name);
    expect(() => datasetInfo('nope')).toThrow(UserError);
  });
});
