import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// In Node, @tensorflow/tfjs-core's bundle (tf-core.node.js) registers no gradient functions at all
// (tf.grads fails with "gradient function not found for Sum"); only the umbrella package's bundle
// does, into the same global registry. Imported here for its side effect only.
import '@tensorflow/tfjs';
import {
  fastWasmConvGradientsRegistered,
  registerFastWasmConvGradients,
  unregisterFastWasmConvGradients,
} from '../../src/engine/wasm-kernels.js';
import { Rng } from '../../src/util/rng.js';

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

/** Values in [-1, 1) from the engine's seeded generator (mulberry32). */
function seeded(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.next() * 2 - 1;
}

function randomArray(n: number, rand: () => number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rand();
  return a;
}

interface Case {
  name: string;
  batch: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  kh: number;
  kw: number;
  strides: [number, number];
  pad: Pad;
}

interface Data {
  x: Float32Array;
  w: Float32Array;
  dyWeights: Float32Array;
  outShape: [number, number, number, number];
}

function makeData(c: Case, seed: number): Data {
  const rand = seeded(seed);
  const info = tf.backend_util.computeConv2DInfo([c.batch, c.h, c.w, c.cin], [c.kh, c.kw, c.cin, c.cout], c.strides, 1, c.pad);
  const outShape = info.outShape as [number, number, number, number];
  return {
    x: randomArray(c.batch * c.h * c.w * c.cin, rand),
    w: randomArray(c.kh * c.kw * c.cin * c.cout, rand),
    dyWeights: randomArray(outShape[0] * outShape[1] * outShape[2] * outShape[3], rand),
    outShape,
  };
}

/** dx, dw of sum(conv2d(x, w) * dyWeights) on the current backend, as plain arrays. */
function grads(c: Case, d: Data): { dx: Float32Array; dw: Float32Array } {
  const out = tf.tidy(() => {
    const x = tf.tensor4d(d.x, [c.batch, c.h, c.w, c.cin]);
    const w = tf.tensor4d(d.w, [c.kh, c.kw, c.cin, c.cout]);
    const dyWeights = tf.tensor4d(d.dyWeights, d.outShape);
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad), dyWeights)),
    );
    return g([x, w]);
  });
  const [dx, dw] = out as [tf.Tensor, tf.Tensor];
  const result = { dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array };
  tf.dispose(out);
  return result;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

async function use(backend: 'wasm' | 'cpu'): Promise<void> {
  await tf.ready();
  const ok = await tf.setBackend(backend);
  expect(ok).toBe(true);
  await tf.ready();
  expect(tf.getBackend()).toBe(backend);
}

function compareWithCpu(c: Case, seed: number): Promise<{ dx: number; dw: number }> {
  return (async () => {
    const d = makeData(c, seed);
    await use('cpu');
    const ref = grads(c, d);
    await use('wasm');
    const got = grads(c, d);
    return { dx: maxAbsDiff(got.dx, ref.dx), dw: maxAbsDiff(got.dw, ref.dw) };
  })();
}

const TOL = 1e-4;

beforeAll(async () => {
  tf.env().set('PROD', true);
  registerFastWasmConvGradients();
  await use('wasm');
});

afterAll(async () => {
  await use('cpu');
});

describe('fast wasm conv gradients match the cpu backend', () => {
  const cases: Case[] = [];
  let i = 0;
  for (const s of [1, 2]) {
    for (const pad of ['same', 'valid'] as const) {
      for (const k of [1, 3]) {
        for (const size of [8, 7]) {
          cases.push({
            name: `stride ${s}, ${pad}, ${k}x${k}, ${size}x${size}`,
            batch: 2 + (i++ % 3),
            h: size,
            w: size,
            cin: 3,
            cout: 5,
            kh: k,
            kw: k,
            strides: [s, s],
            pad,
          });
        }
      }
    }
  }
  // Beyond the required grid: even and non-square kernels, stride 3, mixed strides, explicit pads.
  const base = { batch: 2, cin: 3, cout: 5 };
  cases.push(
    { ...base, name: 'stride 2, same, 2x2, 9x6', h: 9, w: 6, kh: 2, kw: 2, strides: [2, 2], pad: 'same' },
    { ...base, name: 'stride 3, same, 3x3, 10x11', h: 10, w: 11, kh: 3, kw: 3, strides: [3, 3], pad: 'same' },
    { ...base, name: 'stride 3, valid, 5x3, 11x9', h: 11, w: 9, kh: 5, kw: 3, strides: [3, 3], pad: 'valid' },
    { ...base, name: 'strides [1,2], same, 3x1, 7x8', h: 7, w: 8, kh: 3, kw: 1, strides: [1, 2], pad: 'same' },
    { ...base, name: 'stride 2, numeric pad 1, 3x3, 7x7', h: 7, w: 7, kh: 3, kw: 3, strides: [2, 2], pad: 1 },
    {
      ...base,
      name: 'stride 2, explicit pads [0,2]x[1,0], 3x3, 8x7',
      h: 8,
      w: 7,
      kh: 3,
      kw: 3,
      strides: [2, 2],
      pad: [
        [0, 0],
        [0, 2],
        [1, 0],
        [0, 0],
      ],
    },
    {
      ...base,
      name: 'stride 1, explicit pads wider than the kernel, 1x1, 5x5',
      h: 5,
      w: 5,
      kh: 1,
      kw: 1,
      strides: [1, 1],
      pad: [
        [0, 0],
        [2, 1],
        [1, 3],
        [0, 0],
      ],
    },
    {
      ...base,
      name: 'stride 2, explicit pads wider than the kernel, 3x3, 6x6',
      h: 6,
      w: 6,
      kh: 3,
      kw: 3,
      strides: [2, 2],
      pad: [
        [0, 0],
        [4, 3],
        [3, 4],
        [0, 0],
      ],
    },
  );

  it.each(cases.map((c, k) => [c.name, c, k] as const))('%s', async (_name, c, k) => {
    const diff = await compareWithCpu(c, 1000 + k);
    expect(diff.dx).toBeLessThan(TOL);
    expect(diff.dw).toBeLessThan(TOL);
  });
});

describe('registration and bookkeeping', () => {
  it('is idempotent and replaces the wasm kernels', () => {
    registerFastWasmConvGradients();
    registerFastWasmConvGradients();
    expect(fastWasmConvGradientsRegistered()).toBe(true);
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  it.each([
    ['3x3, stride 2, same, 7x7', 3, 2, 'same', 7],
    ['1x1, stride 1, same, 8x8 (matmul route)', 1, 1, 'same', 8],
    ['1x1, stride 2, valid, 7x7 (crops)', 1, 2, 'valid', 7],
    ['3x3, stride 2, valid, 8x8 (crops)', 3, 2, 'valid', 8],
    [
      '3x3, stride 2, explicit pads wider than the kernel (crops dy)',
      3,
      2,
      [
        [0, 0],
        [4, 3],
        [3, 4],
        [0, 0],
      ],
      6,
    ],
  ] as const)('leaks no tensors and no backend buffers: %s', async (_name, k, s, pad, size) => {
    await use('wasm');
    const rand = seeded(7);
    const x = tf.tensor4d(randomArray(4 * size * size * 3, rand), [4, size, size, 3]);
    const w = tf.tensor4d(randomArray(k * k * 3 * 5, rand), [k, k, 3, 5]);
    const p = pad as Pad;
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, p));
    // Warm up once (kernel setup, lazily created constants).
    tf.dispose(tf.grads(f)([x, w]));
    const tensorsBefore = tf.memory().numTensors;
    const buffersBefore = tf.backend().numDataIds();
    const g = tf.grads(f)([x, w]);
    expect(g[0]!.shape).toEqual([4, size, size, 3]);
    expect(g[1]!.shape).toEqual([k, k, 3, 5]);
    tf.dispose(g);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(tf.backend().numDataIds()).toBe(buffersBefore);

    // Direct kernel calls too (no tape involved): exactly one new buffer per result.
    const outShape = tf.backend_util.computeConv2DInfo([4, size, size, 3], [k, k, 3, 5], s, 1, p).outShape;
    const dy = tf.ones(outShape);
    const t0 = tf.memory().numTensors;
    const b0 = tf.backend().numDataIds();
    const dwDirect = tf.engine().runKernel(
      'Conv2DBackpropFilter',
      { x, dy },
      {
        strides: s,
        pad: p,
        dataFormat: 'NHWC',
        filterShape: [k, k, 3, 5],
      },
    ) as tf.Tensor;
    const dxDirect = tf.engine().runKernel(
      'Conv2DBackpropInput',
      { dy, filter: w },
      {
        strides: s,
        pad: p,
        dataFormat: 'NHWC',
        inputShape: [4, size, size, 3],
      },
    ) as tf.Tensor;
    expect(tf.memory().numTensors).toBe(t0 + 2);
    expect(tf.backend().numDataIds()).toBe(b0 + 2);
    tf.dispose([dwDirect, dxDirect]);
    expect(tf.memory().numTensors).toBe(t0);
    expect(tf.backend().numDataIds()).toBe(b0);
    tf.dispose([x, w, dy]);
  });

  it('rejects NCHW and dilations other than 1 with a clear error', async () => {
    await use('wasm');
    const x = tf.zeros([1, 3, 6, 6]);
    const dy = tf.zeros([1, 5, 6, 6]);
    const w = tf.zeros([3, 3, 3, 5]);
    const b0 = tf.backend().numDataIds();
    expect(() =>
      tf.engine().runKernel(
        'Conv2DBackpropFilter',
        { x, dy },
        {
          strides: 1,
          pad: 'same',
          dataFormat: 'NCHW',
          filterShape: [3, 3, 3, 5],
        },
      ),
    ).toThrow(/NHWC/);
    expect(() =>
      tf.engine().runKernel(
        'Conv2DBackpropInput',
        { dy, filter: w },
        {
          strides: 1,
          pad: 'same',
          dataFormat: 'NHWC',
          dilations: [2, 2],
          inputShape: [1, 6, 6, 3],
        },
      ),
    ).toThrow(/dilations 1/);
    expect(tf.backend().numDataIds()).toBe(b0);
    tf.dispose([x, dy, w]);
  });

  it('can be unregistered (restoring a working built-in kernel) and registered again', async () => {
    await use('wasm');
    // Registered before the wasm backend initialised (beforeAll), so wasm's own
    // Conv2DBackpropInput was never set up; restoring it must still leave it usable.
    unregisterFastWasmConvGradients();
    try {
      expect(fastWasmConvGradientsRegistered()).toBe(false);
      expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
      expect(tf.getKernel('Conv2DBackpropInput', 'wasm')).toBeDefined();
      const rand = seeded(11);
      const dy = tf.tensor4d(randomArray(2 * 4 * 4 * 5, rand), [2, 4, 4, 5]);
      const w = tf.tensor4d(randomArray(3 * 3 * 3 * 5, rand), [3, 3, 3, 5]);
      const attrs = { strides: 2, pad: 'same', dataFormat: 'NHWC', inputShape: [2, 7, 7, 3] };
      const slow = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, attrs) as tf.Tensor;
      registerFastWasmConvGradients();
      expect(fastWasmConvGradientsRegistered()).toBe(true);
      const fast = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, attrs) as tf.Tensor;
      expect(maxAbsDiff(fast.dataSync() as Float32Array, slow.dataSync() as Float32Array)).toBeLessThan(TOL);
      tf.dispose([dy, w, slow, fast]);
    } finally {
      registerFastWasmConvGradients();
    }
  });
});
