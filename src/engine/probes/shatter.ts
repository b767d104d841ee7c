import * as tf from '../tf.js';
import { resolveConfig, type Arch, type BlockOrder } from '../../contracts/train-config.js';
import { batchNorm, dense, type ForwardContext, type Layer } from '../models/layers.js';
import { buildModel, type ForwardOptions, type ForwardResult } from '../models/model.js';
import { ParamStore } from '../models/params.js';
import { deriveSeed, Rng } from '../../util/rng.js';
import type { ShatterOptions } from '../../contracts/probe-options.js';
import { autocorrelation, correlationLength, finiteOrNull, neighbourCorrelation } from './stats.js';
import type { ShatterNet, ShatterResult } from '../../contracts/probe-results.js';

export const SHATTER_RANGE: readonly [number, number] = [-2, 2];

export interface GridNet {
  readonly state: readonly { name: string; variable: tf.Variable }[];
  readonly params: readonly { name: string; variable: tf.Variable }[];
  forward(x: tf.Tensor, options: ForwardOptions): ForwardResult;
  dispose(): void;
}

interface NetSpec {
  readonly key: ShatterNet['key'];
  readonly blocks: number;
  readonly arch: Arch | 'plain-bn';
}

export async function runShatter(options: ShatterOptions, onProgress?: (message: string) => void): Promise<ShatterResult> {
  const n = options.points;
  // Neighbour correlation depends on the distance between neighbours: by default the grid spans
  // SHATTER_RANGE; with `spacing` it is `points` inputs that far apart, centred on 0, so a quick
  // variant with fewer points can keep the full variant's spacing.
  const spacing = options.spacing ?? (SHATTER_RANGE[1] - SHATTER_RANGE[0]) / (n - 1);
  const lo = options.spacing === null ? SHATTER_RANGE[0] : -((n - 1) * spacing) / 2;
  const hi = options.spacing === null ? SHATTER_RANGE[1] : ((n - 1) * spacing) / 2;
  const maxLag = Math.floor((n - 1) / 2);
  const specs: NetSpec[] = [
    { key: 'shallow', blocks: 1, arch: 'plain-bn' },
    { key: 'plain', blocks: options.depth, arch: 'plain' },
    { key: 'plain-bn', blocks: options.depth, arch: 'plain-bn' },
    { key: 'residual', blocks: options.depth, arch: 'residual' },
    { key: 'residual-bn', blocks: options.depth, arch: 'residual-bn' },
  ];
  const xs = tf.tidy(() => tf.reshape(tf.linspace(lo, hi, n), [n, 1]));
  const nets: ShatterNet[] = [];
  try {
    for (const spec of specs) {
      const label = labelOf(spec);
      onProgress?.(`shatter: ${label}`);
      const net = buildGridNet(spec, options);
      try {
        // With BatchNorm after every weight layer a bias is cancelled by the mean subtraction (and the
        // head's bias does not change dy/dx), so only the nets without BatchNorm get them.
        const bn = spec.arch === 'plain-bn' || spec.arch === 'residual-bn';
        if (options.bias > 0 && !bn) setBiases(net, options.bias, deriveSeed(options.seed, 'bias', spec.key));
        if (options.inputBias > 0) setInputBias(net, options.inputBias, deriveSeed(options.seed, 'input-bias', spec.key));
        if (net.state.length > 0) await useBatchStatistics(net, xs);
        const g = await inputGradient(net, xs);
        const finite = g.every(Number.isFinite);
        const acf = finite ? autocorrelation(g, maxLag) : [];
        nets.push({
          key: spec.key,
          label,
          blocks: spec.blocks,
          batchNorm: spec.arch === 'plain-bn' || spec.arch === 'residual-bn',
          shortcuts: spec.arch === 'residual' || spec.arch === 'residual-bn',
          gradient: g.map(finiteOrNull),
          neighbourCorrelation: finite ? neighbourCorrelation(g) : null,
          correlationLength: finite ? correlationLength(acf, spacing) : null,
          autocorrelation: acf,
        });
      } finally {
        net.dispose();
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    xs.dispose();
  }
  return {
    probe: 'shatter',
    depth: options.depth,
    width: options.width,
    blockOrder: options.blockOrder,
    seed: options.seed,
    points: n,
    range: [lo, hi],
    spacing,
    bias: options.bias,
    inputBias: options.inputBias,
    maxDistance: maxLag * spacing,
    nets,
  };
}

function labelOf(spec: NetSpec): string {
  const blocks = `${spec.blocks} block${spec.blocks === 1 ? '' : 's'}`;
  switch (spec.key) {
    case 'shallow':
      return `shallow (${blocks}, BN)`;
    case 'plain':
      return `plain (${blocks})`;
    case 'plain-bn':
      return `plain + BN (${blocks})`;
    case 'residual':
      return `residual (${blocks})`;
    case 'residual-bn':
      return `residual + BN (${blocks})`;
  }
}

function buildGridNet(spec: NetSpec, options: ShatterOptions): GridNet {
  if (spec.arch === 'plain-bn') return buildPlainBn(spec.blocks, options.width, options.blockOrder, options.seed);
  const config = resolveConfig({
    net: 'mlp',
    arch: spec.arch,
    depth: spec.blocks,
    width: options.width,
    blockOrder: options.blockOrder,
    seed: options.seed,
  });
  return buildModel(config, [1], 1, options.seed);
}

/**
 * The residual-bn MLP of model.ts with its shortcuts removed: the same stem, blocks (in the same order)
 * and head, every weight layer followed by BatchNorm. `model.ts` has no plain-with-BN architecture; the
 * lecture's shattered-gradients comparison needs one.
 */
function buildPlainBn(blocks: number, width: number, order: BlockOrder, seed: number): GridNet {
  const store = new ParamStore(seed);
  const relu: Layer = (x) => tf.relu(x);
  const seq =
    (...layers: Layer[]): Layer =>
    (x, ctx) =>
      layers.reduce((h, l) => l(h, ctx), x);
  // Gains as in model.ts: 2 after a ReLU, 1 where the input did not pass through one.
  const inGain = order === 'branch' ? 1 : 2;
  const stem =
    order === 'preact'
      ? dense(store, 'stem', 0, 1, width)
      : seq(dense(store, 'stem', 0, 1, width), batchNorm(store, 'stem/bn', 0, width), relu);
  const body: Layer[] = [];
  for (let k = 1; k <= blocks; k++) {
    const lin1 = dense(store, `block${k}/lin1`, k, width, width, inGain);
    const lin2 = dense(store, `block${k}/lin2`, k, width, width);
    const bn1 = batchNorm(store, `block${k}/bn1`, k, width);
    const bn2 = batchNorm(store, `block${k}/bn2`, k, width);
    body.push(
      order === 'preact' ? seq(bn1, relu, lin1, bn2, relu, lin2) : seq(lin1, bn1, relu, lin2, bn2, ...(order === 'post' ? [relu] : [])),
    );
  }
  const fc = dense(store, 'head', blocks + 1, width, 1, inGain);
  const head = order === 'preact' ? seq(batchNorm(store, 'head/bn', blocks + 1, width), relu, fc) : fc;
  const all = seq(stem, ...body, head);
  return {
    state: store.state,
    params: store.params,
    forward: (x, options) => {
      const ctx: ForwardContext = { training: options.training, statUpdates: [] };
      const output = all(x, ctx);
      return { output, units: [], statUpdates: ctx.statUpdates };
    },
    dispose: () => store.dispose(),
  };
}

/**
 * Every bias of the net drawn as PyTorch's nn.Linear draws it, U(−s/√fan_in, s/√fan_in) with s =
 * `scale` (1: PyTorch's default), each tensor from its own stream. The input layer (fan-in 1) gets
 * U(−s, s): its kinks, at x = −b/w, fall inside the grid.
 */
function setBiases(net: GridNet, scale: number, seed: number): void {
  for (const p of net.params) {
    if (!p.name.endsWith('/b')) continue;
    const w = net.params.find((q) => q.name === `${p.name.slice(0, -2)}/w`);
    const bound = scale / Math.sqrt(w?.variable.shape[0] ?? 1);
    const rng = new Rng(deriveSeed(seed, p.name));
    const values = Float32Array.from({ length: p.variable.size }, () => (2 * rng.next() - 1) * bound);
    tf.tidy(() => p.variable.assign(tf.tensor(values, p.variable.shape, 'float32')));
  }
}

function setInputBias(net: GridNet, std: number, seed: number): void {
  const bias = net.params.find((p) => p.name === 'stem/b');
  if (!bias) return;
  const values = new Rng(seed).normalArray(bias.variable.size, std);
  tf.tidy(() => bias.variable.assign(tf.tensor(values, bias.variable.shape, 'float32')));
}

/**
 * Sets every BatchNorm's running statistics to the statistics of `xs` as a batch, so that the
 * evaluation-mode net computes exactly the training-mode function of this batch while each point's
 * derivative treats the statistics as constants. A training pass reports each running-statistic
 * update as m·old + (1 − m)·c·batch (c = n/(n−1) for the variance). From old = 0 it gives
 * a = (1 − m)·c·batch; from old = a it gives (1 + m)·a, so m is a ratio (exact to float precision
 * whatever the scale) and the batch statistic follows. A final check compares the two modes; it is
 * loose because a deep BatchNorm net without shortcuts amplifies float rounding (the chaos this probe
 * shows), and tests check a 1-block net tightly.
 */
export async function useBatchStatistics(net: GridNet, xs: tf.Tensor): Promise<void> {
  const n = xs.shape[0]!;
  const updates = (): Map<tf.Variable, tf.Tensor> => {
    const r = net.forward(xs, { training: true });
    return new Map(r.statUpdates.map((u) => [u.variable, u.value]));
  };
  const kept: tf.Tensor[] = [];
  try {
    // The two passes' updates outlive the tidy: they are read asynchronously (webgpu cannot read
    // synchronously), and `kept` frees them.
    let a = new Map<tf.Variable, tf.Tensor>();
    let b = a;
    tf.tidy(() => {
      for (const s of net.state) s.variable.assign(tf.zerosLike(s.variable));
      a = updates();
      kept.push(...[...a.values()].map((t) => tf.keep(t)));
      for (const s of net.state) s.variable.assign(a.get(s.variable)!);
      b = updates();
      kept.push(...[...b.values()].map((t) => tf.keep(t)));
    });
    // The momentum m is one number: read it where the update is largest.
    let best = { size: 0, m: NaN };
    for (const s of net.state) {
      const at = a.get(s.variable);
      const bt = b.get(s.variable);
      if (!at || !bt) throw new Error(`shatter probe: BatchNorm statistic ${s.name} was not updated by a training pass`);
      const [av, bv] = [await at.data(), await bt.data()];
      for (let i = 0; i < av.length; i++) {
        if (Math.abs(av[i]!) > best.size) best = { size: Math.abs(av[i]!), m: bv[i]! / av[i]! - 1 };
      }
    }
    const m = best.m;
    if (!(m >= 0 && m < 1)) throw new Error(`shatter probe: BatchNorm's running-statistic momentum came out as ${m}`);
    tf.tidy(() => {
      for (const s of net.state) {
        const bessel = s.name.endsWith('/var') ? (n - 1) / n : 1;
        s.variable.assign(tf.mul(a.get(s.variable)!, bessel / (1 - m)));
      }
    });
    const mismatchT = tf.tidy(() => {
      const train = net.forward(xs, { training: true });
      kept.push(...train.statUpdates.map((u) => u.value));
      const evalOut = net.forward(xs, { training: false }).output;
      const scale = tf.max(tf.abs(train.output));
      return tf.div(tf.max(tf.abs(tf.sub(evalOut, train.output))), tf.maximum(scale, 1e-12));
    });
    const mismatch = (await mismatchT.data())[0]!;
    mismatchT.dispose();
    if (!(mismatch < 0.05)) {
      throw new Error(
        `shatter probe: the evaluation-mode net differs from the training-mode net by ${mismatch} (relative); BatchNorm's running-statistic update has changed`,
      );
    }
  } finally {
    tf.dispose(kept);
  }
}

/** dy/dx at every grid point, BatchNorm statistics held fixed (evaluation mode). */
async function inputGradient(net: GridNet, xs: tf.Tensor): Promise<number[]> {
  const g = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(net.forward(x, { training: false }).output))(xs));
  const values = Array.from(await g.data());
  g.dispose();
  return values;
}
