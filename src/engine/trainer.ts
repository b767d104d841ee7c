import * as tf from './tf.js';
import type { Divergence, MetricsLine, TrainerState } from '../contracts/run-folder.js';
import { augmentOf, type TrainConfig } from '../contracts/train-config.js';
import { cropFlip, holdOut } from '../data/augment.js';
import type { Dataset, Split } from '../data/types.js';
import { applyStatUpdates, buildModel, type Model } from './models/model.js';
import { learningRate, Optimizer } from './optim.js';
import { deriveSeed, permutation, Rng } from '../util/rng.js';

export interface StepOutcome {
  /** Steps completed, after this one. */
  readonly step: number;
  readonly loss: number;
  /** Present when this step wrote a metrics line. */
  readonly line?: MetricsLine;
  readonly epochEnded: boolean;
  readonly diverged?: Divergence;
}

const VALIDATION_BATCH = 256;

/**
 * The training loop, one synchronous step at a time so that a host (the worker) can interleave runs,
 * answer messages between steps and checkpoint at any step boundary. Batches are drawn from a seeded
 * permutation per epoch, so the data order is a function of (seed, step) alone.
 */
export class Trainer {
  readonly model: Model;
  readonly optimizer: Optimizer;
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
  private completed = 0;
  private interval = { lossSum: 0, accuracySum: 0, count: 0 };
  private intervalStart = performance.now();
  private perm: { epoch: number; order: Uint32Array } | null = null;
  private readonly exampleSize: number;
  private readonly classification: boolean;
  /** Per-pixel binary masks: sigmoid cross-entropy loss, pixel accuracy. */
  private readonly segmentation: boolean;
  /** Whether accuracy applies (classification or segmentation). */
  private readonly scored: boolean;

  readonly data: Dataset;

  constructor(
    readonly config: TrainConfig,
    loaded: Dataset,
  ) {
    const exampleSize = loaded.inputShape.reduce((a, b) => a * b, 1);
    const targetSize = loaded.task === 'segmentation' ? loaded.inputShape[0]! * loaded.inputShape[1]! : 1;
    const data = config.holdout ? holdOut(loaded, config.holdout, exampleSize, targetSize, config.valLimit) : loaded;
    this.data = data;
    const outputs = data.task === 'classification' ? data.numClasses : 1;
    this.model = buildModel(config, data.inputShape, outputs, config.seed);
    this.optimizer = new Optimizer(
      { name: config.optimizer, momentum: config.momentum, weightDecay: config.weightDecay },
      this.model.params,
    );
    this.stepsPerEpoch = Math.max(1, Math.floor(data.train.n / config.batchSize));
    this.totalSteps = config.steps ?? config.epochs * this.stepsPerEpoch;
    this.exampleSize = data.inputShape.reduce((a, b) => a * b, 1);
    this.classification = data.task === 'classification';
    this.segmentation = data.task === 'segmentation';
    this.scored = this.classification || this.segmentation;
  }

  get step(): number {
    return this.completed;
  }

  get epoch(): number {
    return Math.floor(this.completed / this.stepsPerEpoch);
  }

  get done(): boolean {
    return this.completed >= this.totalSteps;
  }

  get lr(): number {
    return learningRate(this.config.schedule, this.config.lr, this.completed, this.totalSteps);
  }

  /** Restarts the samples-per-second clock (after a pause, a checkpoint or validation). */
  resetClock(): void {
    this.intervalStart = performance.now();
  }

  /** Runs one optimiser step; writes a metrics line every `logEvery` steps, at epoch ends and at the end. */
  trainStep(): StepOutcome {
    return readSync(this.stepReads());
  }

  /** `trainStep` with asynchronous reads: the only way on webgpu, which cannot read synchronously in Node. */
  trainStepAsync(): Promise<StepOutcome> {
    return readAsync(this.stepReads());
  }

  /**
   * The step, written once for both kinds of read: it yields each tensor it must read and receives its
   * values. No tidy scope is open across a yield (other runs may step while an asynchronous read waits).
   */
  private *stepReads(): Reads<StepOutcome> {
    const index = this.completed;
    const stepNumber = index + 1;
    const epochEnded = stepNumber % this.stepsPerEpoch === 0;
    const logNow = stepNumber % this.config.logEvery === 0 || stepNumber === this.totalSteps || epochEnded;
    const lr = this.lr;
    const { xs, ys } = this.batch(index);
    // Filled inside the gradient closure; kept tensors outlive its scope and are freed below.
    const kept: { units?: tf.Tensor; correct?: tf.Tensor; statUpdates: { variable: tf.Variable; value: tf.Tensor }[] } = {
      statUpdates: [],
    };
    const vars = this.model.params.map((p) => p.variable);
    const { value, grads } = tf.variableGrads(() => {
      const r = this.model.forward(xs, { training: true, collect: logNow });
      kept.statUpdates = r.statUpdates;
      if (logNow) kept.units = tf.keep(tf.stack(r.units.map((u) => tf.moments(u).variance)));
      if (this.scored) kept.correct = tf.keep(this.correct(r.output, ys));
      return this.loss(r.output, ys);
    }, vars);
    const loss = (yield value)[0]!;
    const accuracy = kept.correct ? (yield kept.correct)[0]! / this.config.batchSize : 0;
    let gradNorms: number[] = [];
    if (logNow) gradNorms = yield* this.unitGradNorms(grads);
    const finite = Number.isFinite(loss) && gradNorms.every(Number.isFinite);
    let activationVariances: number[] = [];
    if (kept.units) activationVariances = Array.from(yield kept.units);
    if (finite) {
      this.optimizer.apply(grads, lr);
      applyStatUpdates(kept.statUpdates);
    } else {
      for (const u of kept.statUpdates) u.value.dispose();
    }
    tf.dispose([value, xs, ys, ...Object.values(grads)]);
    tf.dispose([kept.units, kept.correct].filter((t): t is tf.Tensor => t !== undefined));

    if (!finite) {
      return { step: index, loss, epochEnded: false, diverged: yield* this.locateDivergence(index, stepNumber) };
    }
    this.completed = stepNumber;
    this.interval.lossSum += loss;
    this.interval.accuracySum += accuracy;
    this.interval.count += 1;
    if (!logNow) return { step: stepNumber, loss, epochEnded };

    const seconds = (performance.now() - this.intervalStart) / 1000;
    const line: MetricsLine = {
      step: stepNumber,
      epoch: stepNumber / this.stepsPerEpoch,
      loss: this.interval.lossSum / this.interval.count,
      ...(this.scored ? { accuracy: this.interval.accuracySum / this.interval.count } : {}),
      lr,
      gradNorms,
      activationVariances,
      samplesPerSecond: seconds > 0 ? (this.interval.count * this.config.batchSize) / seconds : 0,
      time: new Date().toISOString(),
    };
    this.interval = { lossSum: 0, accuracySum: 0, count: 0 };
    this.resetClock();
    return { step: stepNumber, loss, line, epochEnded };
  }

  /** Loss and accuracy on the validation split, with BatchNorm's running statistics. */
  validate(limit = Infinity): { valLoss: number; valAccuracy?: number } {
    return readSync(this.validateReads(limit));
  }

  validateAsync(limit = Infinity): Promise<{ valLoss: number; valAccuracy?: number }> {
    return readAsync(this.validateReads(limit));
  }

  private *validateReads(limit: number): Reads<{ valLoss: number; valAccuracy?: number }> {
    const split = this.data.val;
    const n = Math.min(split.n, limit);
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < n; start += VALIDATION_BATCH) {
      const count = Math.min(VALIDATION_BATCH, n - start);
      const idx = Array.from({ length: count }, (_, i) => start + i);
      const { xs, ys } = this.gather(split, idx);
      const [lossT, cT] = tf.tidy(() => {
        const out = this.model.forward(xs, { training: false }).output;
        return [tf.mul(this.loss(out, ys), count), this.scored ? this.correct(out, ys) : tf.scalar(0)];
      });
      tf.dispose([xs, ys]);
      const l = (yield lossT)[0]!;
      const c = (yield cT)[0]!;
      tf.dispose([lossT, cT]);
      lossSum += l;
      correct += c;
    }
    this.resetClock();
    return this.scored ? { valLoss: lossSum / n, valAccuracy: correct / n } : { valLoss: lossSum / n };
  }

  /** A snapshot of everything needed to continue exactly (read back with `restore`). */
  snapshot(): TrainerState {
    return readSync(this.snapshotReads());
  }

  snapshotAsync(): Promise<TrainerState> {
    return readAsync(this.snapshotReads());
  }

  private *snapshotReads(): Reads<TrainerState> {
    const tensors: TrainerState['tensors'] = {};
    const entries: [string, tf.Variable][] = [
      ...this.model.params.map((p): [string, tf.Variable] => [`param/${p.name}`, p.variable]),
      ...this.model.state.map((s): [string, tf.Variable] => [`state/${s.name}`, s.variable]),
      ...this.optimizer.slotEntries().map(([name, v]): [string, tf.Variable] => [`slot/${name}`, v]),
    ];
    for (const [name, v] of entries) {
      // A copy: the backend may reuse the memory behind dataSync's view.
      tensors[name] = { shape: v.shape.slice(), values: new Float32Array(yield v) };
    }
    return { step: this.completed, optimizerSteps: this.optimizer.stepCount, interval: { ...this.interval }, tensors };
  }

  /** Loads a snapshot taken from a trainer of the same architecture and configuration. */
  restore(state: TrainerState): void {
    const targets = new Map<string, tf.Variable>([
      ...this.model.params.map((p): [string, tf.Variable] => [`param/${p.name}`, p.variable]),
      ...this.model.state.map((s): [string, tf.Variable] => [`state/${s.name}`, s.variable]),
      ...this.optimizer.slotEntries().map(([name, v]): [string, tf.Variable] => [`slot/${name}`, v]),
    ]);
    for (const [name, variable] of targets) {
      const saved = state.tensors[name];
      if (!saved) throw new Error(`checkpoint has no tensor "${name}"`);
      if (saved.shape.join('x') !== variable.shape.join('x')) {
        throw new Error(`checkpoint tensor "${name}" has shape [${saved.shape}] but the model needs [${variable.shape}]`);
      }
      tf.tidy(() => variable.assign(tf.tensor(saved.values, saved.shape, 'float32')));
    }
    this.completed = state.step;
    this.optimizer.stepCount = state.optimizerSteps;
    this.interval = { ...state.interval };
    this.resetClock();
  }

  dispose(): void {
    this.model.dispose();
    this.optimizer.dispose();
  }

  /**
   * The model's output for `examples` inputs (flat, `n * product(inputShape)`), in evaluation mode:
   * logits, or for segmentation the per-pixel probability (sigmoid) as `n * height * width` floats.
   */
  predict(examples: Float32Array): Float32Array {
    return readSync(this.predictReads(examples));
  }

  predictAsync(examples: Float32Array): Promise<Float32Array> {
    return readAsync(this.predictReads(examples));
  }

  private *predictReads(examples: Float32Array): Reads<Float32Array> {
    const n = Math.floor(examples.length / this.exampleSize);
    const result = tf.tidy(() => {
      const xs = tf.tensor(examples.subarray(0, n * this.exampleSize), [n, ...this.data.inputShape], 'float32');
      const out = this.model.forward(xs, { training: false }).output;
      return this.segmentation ? tf.sigmoid(out) : out;
    });
    const values = new Float32Array(yield result);
    result.dispose();
    return values;
  }

  /** Correct predictions in a batch: examples (classification) or pixels averaged per example (segmentation). */
  private correct(output: tf.Tensor, ys: tf.Tensor): tf.Scalar {
    if (this.segmentation) {
      // Pixel accuracy, scaled to "examples" so that dividing by the batch size gives the mean.
      const hit = tf.cast(tf.equal(tf.greater(output, 0), tf.greater(ys, 0.5)), 'float32');
      return tf.mul(tf.mean(hit), output.shape[0]!) as tf.Scalar;
    }
    return tf.sum(tf.cast(tf.equal(tf.argMax(output, 1), ys), 'float32')) as tf.Scalar;
  }

  private loss(output: tf.Tensor, ys: tf.Tensor): tf.Scalar {
    if (this.segmentation) {
      // Per-pixel sigmoid cross-entropy, written out stably: max(z, 0) - z*y + log(1 + exp(-|z|)).
      const z = output;
      return tf.mean(tf.add(tf.sub(tf.relu(z), tf.mul(z, ys)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))))) as tf.Scalar;
    }
    if (this.classification) {
      const logProbs = tf.logSoftmax(output as tf.Tensor2D);
      const picked = tf.sum(tf.mul(logProbs, tf.oneHot(ys as tf.Tensor1D, this.data.numClasses)), 1);
      return tf.neg(tf.mean(picked)) as tf.Scalar;
    }
    return tf.mean(tf.square(tf.sub(tf.reshape(output, [-1]), ys))) as tf.Scalar;
  }

  private *unitGradNorms(grads: tf.NamedTensorMap): Reads<number[]> {
    const units = this.model.unitNames.length;
    const norms = tf.tidy(() => {
      const sums: tf.Tensor[] = Array.from({ length: units }, () => tf.scalar(0));
      for (const p of this.model.params) {
        const g = grads[p.variable.name];
        const sum = sums[p.unit];
        if (sum === undefined) throw new Error(`parameter ${p.variable.name} names unit ${p.unit} of ${units}`);
        if (g) sums[p.unit] = tf.add(sum, tf.sum(tf.square(g)));
      }
      return tf.sqrt(tf.stack(sums));
    });
    const values = Array.from(yield norms);
    norms.dispose();
    return values;
  }

  /** Finds the first unit whose output, weights or gradient is not finite on the batch of `index`. */
  private *locateDivergence(index: number, stepNumber: number): Reads<Divergence> {
    for (const p of this.model.params) {
      if (!allFinite(yield p.variable)) return { step: stepNumber, where: this.unitName(p.unit), what: 'weights' };
    }
    const { xs, ys } = this.batch(index);
    try {
      const units = tf.tidy(() => {
        const r = this.model.forward(xs, { training: true, collect: true });
        r.statUpdates.forEach((u) => u.value.dispose());
        return r.units;
      });
      let firstBad = -1;
      for (const [i, u] of units.entries()) {
        if (!allFinite(yield u)) {
          firstBad = i;
          break;
        }
      }
      tf.dispose(units);
      if (firstBad >= 0) return { step: stepNumber, where: this.unitName(firstBad), what: 'activation' };
      const { grads, value } = tf.variableGrads(
        () => {
          const r = this.model.forward(xs, { training: true });
          r.statUpdates.forEach((u) => u.value.dispose());
          return this.loss(r.output, ys);
        },
        this.model.params.map((p) => p.variable),
      );
      const norms = yield* this.unitGradNorms(grads);
      tf.dispose([value, ...Object.values(grads)]);
      const badUnit = norms.findIndex((n) => !Number.isFinite(n));
      if (badUnit >= 0) return { step: stepNumber, where: this.unitName(badUnit), what: 'gradient' };
      return { step: stepNumber, where: 'loss', what: 'loss' };
    } finally {
      tf.dispose([xs, ys]);
    }
  }

  private unitName(unit: number): string {
    const name = this.model.unitNames[unit];
    if (name === undefined) throw new Error(`no unit ${unit}: the model has ${this.model.unitNames.length}`);
    return name;
  }

  private batch(index: number): { xs: tf.Tensor; ys: tf.Tensor } {
    const epoch = Math.floor(index / this.stepsPerEpoch);
    if (!this.perm || this.perm.epoch !== epoch) {
      this.perm = { epoch, order: permutation(this.data.train.n, deriveSeed(this.config.seed, 'epoch', epoch)) };
    }
    const start = (index % this.stepsPerEpoch) * this.config.batchSize;
    const idx = Array.from(this.perm.order.subarray(start, start + this.config.batchSize));
    return this.gather(
      this.data.train,
      idx,
      augmentOf(this.config) === 'crop-flip' ? deriveSeed(this.config.seed, 'augment', index) : null,
    );
  }

  /** A batch of `split`'s examples `idx`; with `augmentSeed`, crop-flip augmented (a function of the seed alone, so resume repeats it). */
  private gather(split: Split, idx: number[], augmentSeed: number | null = null): { xs: tf.Tensor; ys: tf.Tensor } {
    const size = this.exampleSize;
    const x = new Float32Array(idx.length * size);
    idx.forEach((j, i) => x.set(split.x.subarray(j * size, (j + 1) * size), i * size));
    if (augmentSeed !== null && this.data.inputShape.length === 3) cropFlip(x, idx.length, this.data.inputShape, new Rng(augmentSeed));
    const xs = tf.tensor(x, [idx.length, ...this.data.inputShape], 'float32');
    if (this.segmentation) {
      // One mask per example, the image's height x width, as [n, h, w, 1] to match the logits.
      const [h, w] = this.data.inputShape;
      if (h === undefined || w === undefined)
        throw new Error(`a segmentation input needs a height and width, got [${this.data.inputShape.join(', ')}]`);
      const pixels = h * w;
      const y = new Float32Array(idx.length * pixels);
      idx.forEach((j, i) => y.set(split.y.subarray(j * pixels, (j + 1) * pixels), i * pixels));
      return { xs, ys: tf.tensor(y, [idx.length, h, w, 1], 'float32') };
    }
    // idx holds example numbers < split.n, so split.y[j] is defined.
    const ys = this.classification
      ? tf.tensor1d(
          Int32Array.from(idx, (j) => split.y[j]!),
          'int32',
        )
      : tf.tensor1d(
          Float32Array.from(idx, (j) => split.y[j]!),
          'float32',
        );
    return { xs, ys };
  }
}

function allFinite(v: ArrayLike<number>): boolean {
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) return false;
  return true;
}

/** A computation that yields the tensors it reads and receives their values (see `stepReads`). */
type Reads<R> = Generator<tf.Tensor, R, Float32Array | Int32Array | Uint8Array>;

function readSync<R>(g: Reads<R>): R {
  let r = g.next();
  while (!r.done) r = g.next(r.value.dataSync() as Float32Array | Int32Array | Uint8Array);
  return r.value;
}

async function readAsync<R>(g: Reads<R>): Promise<R> {
  let r = g.next();
  while (!r.done) r = g.next((await r.value.data()) as Float32Array | Int32Array | Uint8Array);
  return r.value;
}
