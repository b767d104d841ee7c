/**
 * The data sets `--dataset` accepts, and one loader that dispatches by name. Every loader returns
 * plain typed arrays (no tfjs); see types.ts.
 */
import { UserError } from '../util/errors.js';
import { loadCifar10 } from './cifar10.js';
import { loadFashionMnist } from './fashion-mnist.js';
import { loadMnist } from './mnist.js';
import { loadSynthetic1d, loadSyntheticSegment, loadSyntheticShapes, loadSyntheticSpiral } from './synthetic.js';
import type { Dataset, LoadOptions } from './types.js';

export type { Dataset, LoadOptions, Split } from './types.js';
export { defaultCacheDir } from './cache.js';

export const DATASET_NAMES = [
  'fashion-mnist',
  'mnist',
  'cifar10',
  'synthetic-1d',
  'synthetic-spiral',
  'synthetic-shapes',
  'synthetic-segment',
] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

/** What a data set looks like without loading it (for building a model or checking flags early). */
export interface DatasetInfo {
  readonly name: DatasetName;
  readonly inputShape: readonly number[];
  readonly task: Dataset['task'];
  readonly numClasses: number;
  /** Full-size train / validation counts (before limits). */
  readonly trainSize: number;
  readonly valSize: number;
  /** Needs a one-time download (CIFAR-10) rather than shipping with the install. */
  readonly download: boolean;
  readonly description: string;
}

export const DATASET_INFO: Readonly<Record<DatasetName, DatasetInfo>> = {
  'fashion-mnist': {
    name: 'fashion-mnist',
    inputShape: [28, 28, 1],
    task: 'classification',
    numClasses: 10,
    trainSize: 60_000,
    valSize: 10_000,
    download: false,
    description: 'Fashion-MNIST: 28x28 grey images of clothing, 10 classes',
  },
  mnist: {
    name: 'mnist',
    inputShape: [28, 28, 1],
    task: 'classification',
    numClasses: 10,
    trainSize: 9_000,
    valSize: 1_000,
    download: false,
    description: 'MNIST (10,000-digit subset): 28x28 grey handwritten digits, 10 classes',
  },
  cifar10: {
    name: 'cifar10',
    inputShape: [32, 32, 3],
    task: 'classification',
    numClasses: 10,
    trainSize: 50_000,
    valSize: 10_000,
    download: true,
    description: 'CIFAR-10: 32x32 colour photos, 10 classes (downloaded once, ~163 MB)',
  },
  'synthetic-1d': {
    name: 'synthetic-1d',
    inputShape: [1],
    task: 'regression',
    numClasses: 1,
    trainSize: 2048,
    valSize: 512,
    download: false,
    description: '1-D regression: y = 0.5 sin(3 pi x) + 0.3 x on [-1, 1]',
  },
  'synthetic-spiral': {
    name: 'synthetic-spiral',
    inputShape: [2],
    task: 'classification',
    numClasses: 3,
    trainSize: 3000,
    valSize: 600,
    download: false,
    description: 'three interleaved 2-D spirals, 3 classes',
  },
  'synthetic-shapes': {
    name: 'synthetic-shapes',
    inputShape: [16, 16, 1],
    task: 'classification',
    numClasses: 2,
    trainSize: 4000,
    valSize: 800,
    download: false,
    description: '16x16 grey images of a circle or a square on noise, 2 classes',
  },
  'synthetic-segment': {
    name: 'synthetic-segment',
    inputShape: [16, 16, 1],
    task: 'segmentation',
    numClasses: 1,
    trainSize: 4000,
    valSize: 800,
    download: false,
    description:
      "16x16 grey images of a circle or a square on noise, with the shape's mask as a per-pixel target (segmentation, --net unet)",
  },
};

export function isDatasetName(name: string): name is DatasetName {
  return (DATASET_NAMES as readonly string[]).includes(name);
}

function unknownDataset(name: string): UserError {
  return new UserError(`Unknown data set "${name}". Valid names are: ${DATASET_NAMES.join(', ')}. Pass one of them with --dataset.`);
}

/** Shape and size of a data set by name, without loading it; UserError for an unknown name. */
export function datasetInfo(name: string): DatasetInfo {
  if (!isDatasetName(name)) throw unknownDataset(name);
  return DATASET_INFO[name];
}

/** Loads a data set by name; an unknown name throws a UserError that lists the valid ones. */
export async function loadDataset(name: string, opts: LoadOptions = {}): Promise<Dataset> {
  if (!isDatasetName(name)) throw unknownDataset(name);
  switch (name) {
    case 'fashion-mnist':
      return loadFashionMnist(opts);
    case 'mnist':
      return loadMnist(opts);
    case 'cifar10':
      return loadCifar10(opts);
    case 'synthetic-1d':
      return loadSynthetic1d(opts);
    case 'synthetic-spiral':
      return loadSyntheticSpiral(opts);
    case 'synthetic-shapes':
      return loadSyntheticShapes(opts);
    case 'synthetic-segment':
      return loadSyntheticSegment(opts);
  }
}
