import * as tf from '../tf.js';
import { describeModel, hasShortcuts, type TrainConfig } from '../../contracts/train-config.js';
import { loadDataset, type Dataset } from '../../data/index.js';
import { buildModel, type Model } from '../models/model.js';
import type { TrainerState } from '../../contracts/run-folder.js';
import type { LesionResult, LesionRow } from '../../contracts/probe-results.js';

/** A run's network and the weights of one of its checkpoints (read in the worker). */
export interface TrainedNet {
  readonly runId: string;
  readonly config: TrainConfig;
  readonly step: number;
  readonly tensors: TrainerState['tensors'];
}

export interface LesionInput {
  readonly net: TrainedNet;
  /** Validation examples to evaluate; null for the whole split. */
  readonly limit: number | null;
}

const EVAL_BATCH = 256;

export async function runLesion(input: LesionInput, onProgress?: (message: string) => void): Promise<LesionResult> {
  const { config } = input.net;
  const valLimit = input.limit ?? config.valLimit ?? undefined;
  const data = await loadDataset(config.dataset, { seed: config.seed, trainLimit: 1, ...(valLimit ? { valLimit } : {}) });
  const model = buildTrained(input.net, data);
  const batches = evalBatches(data);
  try {
    onProgress?.(`lesion: ${describeModel(config)}, whole network`);
    const baseline = await evaluate(model, batches, data, new Set());
    const fixed = shapeChangingBlocks(config);
    const rows: LesionRow[] = [];
    for (let k = 1; k <= model.blockCount; k++) {
      onProgress?.(`lesion: without block ${k} of ${model.blockCount}`);
      const removable = hasShortcuts(config.arch) || !fixed.has(k);
      const r = removable ? await evaluate(model, batches, data, new Set([k])) : null;
      rows.push({
        block: k,
        name: model.unitNames[k]!,
        removable,
        accuracy: r?.accuracy ?? null,
        loss: r?.loss ?? null,
        accuracyDrop: r && r.accuracy !== null && baseline.accuracy !== null ? baseline.accuracy - r.accuracy : null,
      });
      await new Promise((resolve) => setImmediate(resolve));
    }
    const drops = rows.map((r) => r.accuracyDrop).filter((d): d is number => d !== null);
    const worst = drops.length ? Math.max(...drops) : null;
    const p = baseline.accuracy;
    const threshold = p === null ? null : 2 * Math.sqrt((p * (1 - p)) / data.val.n);
    return {
      probe: 'lesion',
      runId: input.net.runId,
      step: input.net.step,
      model: describeModel(config),
      arch: config.arch,
      dataset: config.dataset,
      examples: data.val.n,
      baseline,
      rows,
      meanAccuracyDrop: drops.length ? drops.reduce((a, b) => a + b, 0) / drops.length : null,
      worstAccuracyDrop: worst,
      worstBlock: worst === null ? null : (rows.find((r) => r.accuracyDrop === worst)?.block ?? null),
      medianAccuracyDrop: drops.length ? median(drops) : null,
      firstBlockDrop: rows[0]?.accuracyDrop ?? null,
      noticeableDrop: threshold,
      blocksThatMatter: threshold === null ? null : drops.filter((d) => d > threshold).length,
      removableBlocks: rows.filter((r) => r.removable).length,
    };
  } finally {
    tf.dispose(batches.map((b) => [b.xs, b.ys]).flat());
    model.dispose();
  }
}

function median(v: readonly number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Builds the run's model and sets its weights and BatchNorm statistics from the checkpoint. */
export function buildTrained(net: TrainedNet, data: Pick<Dataset, 'inputShape' | 'task' | 'numClasses'>): Model {
  const outputs = data.task === 'classification' ? data.numClasses : 1;
  const model = buildModel(net.config, data.inputShape, outputs, net.config.seed);
  try {
    const targets: [string, tf.Variable][] = [
      ...model.params.map((p): [string, tf.Variable] => [`param/${p.name}`, p.variable]),
      ...model.state.map((s): [string, tf.Variable] => [`state/${s.name}`, s.variable]),
    ];
    for (const [name, variable] of targets) {
      const saved = net.tensors[name];
      if (!saved) throw new Error(`checkpoint of run ${net.runId} has no tensor "${name}"`);
      if (saved.shape.join('x') !== variable.shape.join('x')) {
        throw new Error(
          `checkpoint tensor "${name}" has shape [${saved.shape.join(', ')}] but the model needs [${variable.shape.join(', ')}]`,
        );
      }
      tf.tidy(() => variable.assign(tf.tensor(saved.values, saved.shape, 'float32')));
    }
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}

interface Batch {
  readonly xs: tf.Tensor;
  readonly ys: tf.Tensor;
  readonly count: number;
}

function evalBatches(data: Dataset): Batch[] {
  const size = data.inputShape.reduce((a, b) => a * b, 1);
  const out: Batch[] = [];
  for (let start = 0; start < data.val.n; start += EVAL_BATCH) {
    const count = Math.min(EVAL_BATCH, data.val.n - start);
    const xs = tf.tensor(data.val.x.slice(start * size, (start + count) * size), [count, ...data.inputShape], 'float32');
    const ys =
      data.task === 'classification'
        ? tf.tensor1d(Int32Array.from(data.val.y.subarray(start, start + count)), 'int32')
        : tf.tensor1d(Float32Array.from(data.val.y.subarray(start, start + count)), 'float32');
    out.push({ xs, ys, count });
  }
  return out;
}

async function evaluate(
  model: Model,
  batches: readonly Batch[],
  data: Dataset,
  off: ReadonlySet<number>,
): Promise<{ accuracy: number | null; loss: number }> {
  let lossSum = 0;
  let correct = 0;
  let n = 0;
  for (const b of batches) {
    // [summed loss, hits], read asynchronously (webgpu cannot read synchronously).
    const pair = tf.tidy(() => {
      const out = model.forward(b.xs, { training: false, disabledBlocks: off }).output;
      if (data.task !== 'classification') {
        return tf.stack([tf.sum(tf.square(tf.sub(tf.reshape(out, [-1]), b.ys))), tf.scalar(0)]);
      }
      const logProbs = tf.logSoftmax(out as tf.Tensor2D);
      const picked = tf.sum(tf.mul(logProbs, tf.oneHot(b.ys as tf.Tensor1D, data.numClasses)), 1);
      const hits = tf.sum(tf.cast(tf.equal(tf.argMax(out, 1), b.ys), 'float32'));
      return tf.stack([tf.neg(tf.sum(picked)), hits]);
    });
    const [l, c] = await pair.data();
    pair.dispose();
    lossSum += l!;
    correct += c!;
    n += b.count;
  }
  return { accuracy: data.task === 'classification' ? correct / n : null, loss: lossSum / n };
}

/**
 * Blocks whose output shape differs from their input's (as model.ts builds them): a CNN's first block
 * of stages 2 and 3 (stride 2, more channels) and, with bottleneck blocks, block 1 (4x channels). A
 * plain net cannot skip them; a residual net's projection shortcut stands in for them.
 */
export function shapeChangingBlocks(config: Pick<TrainConfig, 'net' | 'depth' | 'block'>): Set<number> {
  const out = new Set<number>();
  if (config.net !== 'cnn') return out;
  const perStage = (config.depth - 2) / (config.block === 'bottleneck' ? 9 : 6);
  if (config.block === 'bottleneck') out.add(1);
  out.add(perStage + 1);
  out.add(2 * perStage + 1);
  return out;
}
