import * as tf from '../tf.js';
import { describeModel, resolveConfig, type Net } from '../../contracts/train-config.js';
import { loadDataset } from '../../data/index.js';
import { buildModel } from '../models/model.js';
import { deriveSeed } from '../../util/rng.js';
import type { VarianceOptions } from '../../contracts/probe-options.js';
import { finiteOrNull, fitGrowth } from './stats.js';
import type { VarianceResult, VarianceSeries } from '../../contracts/probe-results.js';

export async function runVariance(options: VarianceOptions, onProgress?: (message: string) => void): Promise<VarianceResult> {
  const data = await loadDataset(options.dataset, { seed: options.seed, trainLimit: options.batchSize, valLimit: 1 });
  const n = Math.min(options.batchSize, data.train.n);
  const outputs = data.task === 'classification' ? data.numClasses : 1;
  const x = tf.tensor(data.train.x.subarray(0, n * sizeOf(data.inputShape)), [n, ...data.inputShape], 'float32');
  const series: VarianceSeries[] = [];
  let blocks = 0;
  try {
    for (const arch of options.archs) {
      const config = resolveConfig({
        net: options.net,
        arch,
        depth: options.depth,
        width: options.width,
        blockOrder: options.blockOrder,
        seed: options.seed,
      });
      const sums: { ms: number[]; bv: number[] } = { ms: [], bv: [] };
      for (let r = 0; r < options.repeats; r++) {
        onProgress?.(`variance: ${describeModel(config)}, initialisation ${r + 1}/${options.repeats}`);
        const seed = r === 0 ? options.seed : deriveSeed(options.seed, 'variance-repeat', r);
        const model = buildModel(config, data.inputShape, outputs, seed);
        try {
          const units = await unitMoments(model.forward.bind(model), x, model.blockCount);
          blocks = model.blockCount;
          units.forEach((u, i) => {
            sums.ms[i] = (sums.ms[i] ?? 0) + u.meanSquare;
            sums.bv[i] = (sums.bv[i] ?? 0) + u.batchVariance;
          });
        } finally {
          model.dispose();
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
      const ms = sums.ms.map((v) => finiteOrNull(v / options.repeats));
      const bv = sums.bv.map((v) => finiteOrNull(v / options.repeats));
      const blockMs = ms.slice(1, blocks + 1);
      const starts = stageStarts(options.net, blocks);
      const first = blockMs[0];
      const last = blockMs[blockMs.length - 1];
      series.push({
        arch,
        label: arch,
        meanSquare: blockMs,
        batchVariance: bv.slice(1, blocks + 1),
        stem: { meanSquare: ms[0] ?? null, batchVariance: bv[0] ?? null },
        fit: fitGrowth(blockMs, starts),
        batchVarianceFit: fitGrowth(bv.slice(1, blocks + 1), starts),
        growth: first && last ? finiteOrNull(last / first) : null,
      });
    }
  } finally {
    x.dispose();
  }
  return {
    probe: 'variance',
    net: options.net,
    depth: options.depth,
    width: options.width,
    blockOrder: options.blockOrder,
    blocks,
    stageStarts: stageStarts(options.net, blocks),
    seed: options.seed,
    dataset: options.dataset,
    batchSize: n,
    repeats: options.repeats,
    series,
  };
}

type Forward = ReturnType<typeof buildModel>['forward'];

/**
 * E[h²] and the mean per-unit batch variance of the stem and every block output (not the head), in
 * float64: each unit output is divided by its largest magnitude before squaring, so a residual net's
 * 2^K growth does not overflow float32 in the square. BatchNorm uses batch statistics (training mode):
 * at initialisation its running statistics are placeholders.
 */
async function unitMoments(forward: Forward, x: tf.Tensor, blocks: number): Promise<{ meanSquare: number; batchVariance: number }[]> {
  // [scale, E[z²], mean batch variance of z] per unit, read once, asynchronously (webgpu cannot
  // read synchronously). A zero or non-finite scale makes z meaningless: handled after the read.
  const stats = tf.tidy(() => {
    const r = forward(x, { training: true, collect: true });
    for (const u of r.statUpdates) u.value.dispose();
    return tf.stack(
      r.units.slice(0, blocks + 1).map((u) => {
        const scale = tf.max(tf.abs(u));
        const z = tf.div(u, scale);
        const axes = u.shape.slice(0, -1).map((_, i) => i);
        return tf.stack([scale, tf.mean(tf.square(z)), tf.mean(tf.moments(z, axes).variance)]);
      }),
    );
  });
  const v = await stats.data();
  stats.dispose();
  return Array.from({ length: v.length / 3 }, (_, i) => {
    const [s, ms, bv] = [v[3 * i]!, v[3 * i + 1]!, v[3 * i + 2]!];
    if (!Number.isFinite(s)) return { meanSquare: Infinity, batchVariance: Infinity };
    if (s === 0) return { meanSquare: 0, batchVariance: 0 };
    return { meanSquare: ms * s * s, batchVariance: bv * s * s };
  });
}

/** The CNN's three stages have K/3 blocks each (model.ts); an MLP is one stage. */
function stageStarts(net: Net, blocks: number): number[] {
  return net === 'cnn' ? [1, blocks / 3 + 1, (2 * blocks) / 3 + 1] : [1];
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
