/**
 * Times the conv2d gradient kernels on the wasm backend: the fast kernels from
 * src/engine/wasm-kernels.ts, and (optionally) the built-in slow path for comparison: wasm's own
 * `Conv2DBackpropInput` loop, and for the filter gradient `Conv3DBackpropFilterV2` with a depth-1
 * volume (wasm has no `Conv2DBackpropFilter` without our kernel).
 *
 * Kernels are run directly through the engine (`runKernel`), so no gradient registry is needed.
 * The previous backend and the kernel registration state are restored afterwards.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import {
  fastWasmConvGradientsRegistered,
  registerFastWasmConvGradients,
  unregisterFastWasmConvGradients,
} from '../src/engine/wasm-kernels.js';

export interface WasmConvBenchRow {
  caseName: string;
  msFilterGrad: number;
  msInputGrad: number;
}

interface ConvCase {
  name: string;
  batch: number;
  size: number;
  cin: number;
  cout: number;
  k: number;
  stride: number;
}

const CASES: ConvCase[] = [
  { name: '3x3 16->16, batch 32, 32x32, stride 1, same', batch: 32, size: 32, cin: 16, cout: 16, k: 3, stride: 1 },
  { name: '3x3 16->32, batch 32, 32x32, stride 2, same', batch: 32, size: 32, cin: 16, cout: 32, k: 3, stride: 2 },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  const hi = s[m];
  if (hi === undefined) throw new Error('median of no values');
  if (s.length % 2 === 1) return hi;
  return (s[m - 1]! + hi) / 2; // even length >= 2, so m - 1 >= 0
}

/** Median milliseconds of `f` (which returns a tensor to read and dispose) after warm-up. */
function time(f: () => tf.Tensor, reps: number, warmup: number): number {
  for (let i = 0; i < warmup; i++) {
    const t = f();
    t.dataSync();
    t.dispose();
  }
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const start = performance.now();
    const t = f();
    t.dataSync(); // wasm kernels are synchronous; this only makes the measurement honest
    ms.push(performance.now() - start);
    t.dispose();
  }
  return median(ms);
}

function runCase(c: ConvCase, fast: boolean, reps: number, warmup: number): WasmConvBenchRow {
  const x = tf.randomNormal([c.batch, c.size, c.size, c.cin], 0, 1, 'float32', 1) as tf.Tensor4D;
  const w = tf.randomNormal([c.k, c.k, c.cin, c.cout], 0, 0.1, 'float32', 2) as tf.Tensor4D;
  const info = tf.backend_util.computeConv2DInfo(x.shape, w.shape, c.stride, 1, 'same');
  const dy = tf.randomNormal(info.outShape, 0, 1, 'float32', 3) as tf.Tensor4D;
  const engine = tf.engine();
  try {
    const inputGrad = () =>
      engine.runKernel(
        'Conv2DBackpropInput',
        { dy, filter: w },
        {
          strides: c.stride,
          pad: 'same',
          dataFormat: 'NHWC',
          inputShape: x.shape,
        },
      ) as tf.Tensor;
    const filterGradFast = () =>
      engine.runKernel(
        'Conv2DBackpropFilter',
        { x, dy },
        {
          strides: c.stride,
          pad: 'same',
          dataFormat: 'NHWC',
          filterShape: w.shape,
        },
      ) as tf.Tensor;
    // Built-in fallback for the filter gradient: a depth-1 Conv3D filter gradient.
    const filterGradConv3d = () =>
      tf.tidy(() => {
        const x5 = tf.reshape(x, [c.batch, 1, c.size, c.size, c.cin]);
        const dy5 = tf.reshape(dy, [dy.shape[0], 1, dy.shape[1], dy.shape[2], dy.shape[3]]);
        const g = engine.runKernel(
          'Conv3DBackpropFilterV2',
          { x: x5, dy: dy5 },
          {
            strides: [1, c.stride, c.stride],
            pad: 'same',
            filterShape: [1, c.k, c.k, c.cin, c.cout],
          },
        ) as tf.Tensor;
        return tf.reshape(g, w.shape);
      });
    const msFilterGrad = time(fast ? filterGradFast : filterGradConv3d, reps, warmup);
    const msInputGrad = time(inputGrad, reps, warmup);
    return { caseName: `${c.name} [${fast ? 'fast kernels' : 'wasm built-in'}]`, msFilterGrad, msInputGrad };
  } finally {
    tf.dispose([x, w, dy]);
  }
}

/**
 * Median milliseconds of one filter gradient and one input gradient per case on wasm, with the fast
 * kernels and, unless `includeSlow` is false, with wasm's built-in slow path (a few seconds more).
 */
export async function benchWasmConv(options: { includeSlow?: boolean; reps?: number } = {}): Promise<WasmConvBenchRow[]> {
  const includeSlow = options.includeSlow ?? true;
  const reps = options.reps ?? 7;
  await tf.ready();
  const previousBackend = tf.getBackend();
  const wasRegistered = fastWasmConvGradientsRegistered();
  registerFastWasmConvGradients();
  if (!(await tf.setBackend('wasm'))) throw new Error('benchWasmConv: the wasm backend could not be initialised.');
  await tf.ready();
  const rows: WasmConvBenchRow[] = [];
  try {
    for (const c of CASES) rows.push(runCase(c, true, reps, 2));
    if (includeSlow) {
      unregisterFastWasmConvGradients();
      try {
        for (const c of CASES) rows.push(runCase(c, false, 3, 1));
      } finally {
        registerFastWasmConvGradients();
      }
    }
  } finally {
    if (!wasRegistered) unregisterFastWasmConvGradients();
    if (previousBackend && previousBackend !== 'wasm') await tf.setBackend(previousBackend);
  }
  return rows;
}
