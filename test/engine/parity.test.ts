// The software WebGPU adapter (Mesa's llvmpipe through Dawn's OpenGL ES backend) needs EGL_PLATFORM in
// the C environment before Mesa loads; vitest runs this file in its own process (pool: forks).
process.env.EGL_PLATFORM ??= 'surfaceless';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tryBackend } from '../../src/engine/backend.js';
import { releaseWebGpu } from '../../src/engine/backends/webgpu.js';
import { skipWithoutWebGpu } from '../gpu/require-webgpu.js';
import { PARITY_FAMILIES, backendParity, judge, relativeError, type FamilyParity } from '../../src/engine/parity.js';

const use = async (name: string): Promise<void> => {
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} did not start`);
};

let webgpuProblem: string | null = null;
beforeAll(async () => {
  for (const name of ['cpu', 'wasm'] as const) {
    const t = await tryBackend(name, { convolutional: true });
    if (!t.attempt.ok) throw new Error(`${name}: ${t.attempt.reason}`);
  }
  const w = await tryBackend('webgpu', { allowSoftwareAdapter: true });
  if (!w.attempt.ok) webgpuProblem = `${w.attempt.reason}; fix: ${w.attempt.fix}`;
});
afterAll(() => releaseWebGpu((n) => tf.removeBackend(n)));

function expectAgreement(results: FamilyParity[]): void {
  expect(results.map((r) => r.family)).toEqual(PARITY_FAMILIES.map((f) => f.id));
  for (const r of results) {
    const bad = r.tensors.filter((t) => t.verdict === 'fail').map((t) => `${t.name}: ${t.error.toExponential(2)}`);
    expect(bad, `${r.backend} ${r.family}`).toEqual([]);
    expect(r.verdict, `${r.backend} ${r.family} (loss error ${r.lossError})`).not.toBe('fail');
    expect(r.tensors.length).toBeGreaterThan(1);
  }
}

describe('gradient parity with the cpu backend, every model family', () => {
  it('wasm', async () => {
    expectAgreement(await backendParity('wasm', { use, batchSize: 3 }));
  });

  it('webgpu (software adapter where no GPU)', async (ctx) => {
    skipWithoutWebGpu(ctx, webgpuProblem);
    expectAgreement(await backendParity('webgpu', { use, batchSize: 2 }));
  });

  it('finds a real disagreement: a kernel that is wrong is a failure, not a kink', async () => {
    // Doubling the gradient of conv2d's filter on wasm stands in for a broken kernel.
    const name = 'Conv2DBackpropFilter';
    const original = tf.getKernel(name, 'wasm')!;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({
      ...original,
      kernelFunc: (args) => {
        const out = original.kernelFunc(args) as tf.TensorInfo;
        const doubled = tf.engine().runKernel('Add', { a: out as tf.Tensor, b: out as tf.Tensor }) as tf.TensorInfo;
        (args.backend as { disposeData(id: object): void }).disposeData(out.dataId);
        return doubled;
      },
    });
    try {
      const [r] = await backendParity('wasm', { use }, [PARITY_FAMILIES[1]!]);
      expect(r!.verdict).toBe('fail');
    } finally {
      tf.unregisterKernel(name, 'wasm');
      tf.registerKernel(original);
    }
  });
});

describe('parity judgement', () => {
  it('relative error is to the tensor scale, and a length mismatch is infinite', () => {
    expect(relativeError(Float32Array.of(1, 2.001), Float32Array.of(1, 2))).toBeCloseTo(5e-4, 6);
    expect(relativeError(Float32Array.of(1), Float32Array.of(1, 2))).toBe(Infinity);
  });
  it('an error the cpu itself shows under 1e-6 input nudges is a ReLU kink; beyond it, a failure', () => {
    expect(judge(1e-5, null)).toBe('ok');
    expect(judge(9.5e-3, 5e-3)).toBe('relu-kink');
    expect(judge(9.5e-3, 1e-6)).toBe('fail');
    expect(judge(Infinity, 1)).toBe('fail');
  });
});
