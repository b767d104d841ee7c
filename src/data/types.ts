/**
 * An in-memory data set, already normalised, as flat typed arrays so that batches are cheap slices
 * and the engine decides when tensors are made (and disposed).
 */
export interface Split {
  /** Inputs, row-major: `n * product(inputShape)` floats. */
  readonly x: Float32Array;
  /**
   * Class labels (`classification`), one float target per example (`regression`), or a 0/1 mask per
   * example (`segmentation`: `n * height * width` floats).
   */
  readonly y: Uint8Array | Float32Array;
  /** Number of examples. */
  readonly n: number;
}

export interface Dataset {
  /** Name as given to `--dataset`. */
  readonly name: string;
  /** Shape of one example: `[28, 28, 1]` for images (NHWC without N), `[d]` for vectors. */
  readonly inputShape: readonly number[];
  /**
   * `classification` uses softmax cross-entropy over `numClasses`; `regression` uses mean squared error
   * on one output; `segmentation` uses per-pixel sigmoid cross-entropy on one logit per pixel.
   */
  readonly task: 'classification' | 'regression' | 'segmentation';
  /** Number of classes (1 for regression). */
  readonly numClasses: number;
  /** Human-readable class names, when there are classes. */
  readonly classNames?: readonly string[];
  readonly train: Split;
  readonly val: Split;
}

/** Options every loader accepts. */
export interface LoadOptions {
  /** Where downloaded or converted files are kept between runs. */
  readonly cacheDir?: string;
  /** Called with (bytesOrItemsDone, total, label) during long work (downloads, first conversion). */
  readonly onProgress?: (done: number, total: number, label: string) => void;
  /** Keep at most this many training examples (tiny test and lesson configurations). */
  readonly trainLimit?: number;
  /** Keep at most this many validation examples. */
  readonly valLimit?: number;
  /** Seed for the train/validation split and any synthetic generation. */
  readonly seed?: number;
}
