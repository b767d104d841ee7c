// Probes on webgpu, which cannot read tensors synchronously in Node: the shatter probe (it reads
// BatchNorm statistics, a mode-mismatch check and input gradients) and the variance probe, on the
// software adapter, against the cpu backend. EGL_PLATFORM must be in the C environment before Mesa
// loads; vitest runs this file in its own process (pool: forks).
process.env.EGL_PLATFORM ??= 'surfaceless';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tryBackend } from '../../src/engine/backend.js';
import { releaseWebGpu } from '../../src/engine/backends/webgpu.js';
import { resolveShatterOptions, resolveVarianceOptions } from '../../src/contracts/probe-options.js';
import { runShatter } from '../../src/engine/probes/shatter.js';
import { runVariance } from '../../src/engine/probes/variance.js';
import { relativeError } from '../../src/engine/parity.js';
import { skipWithoutWebGpu } from '../gpu/require-webgpu.js';

let webgpuProblem: string | null = null;
beforeAll(async () => {
  const c = await tryBackend('cpu');
  if (!c.attempt.ok) throw new Error(`cpu: ${c.attempt.reason}`);
  const w = await tryBackend('webgpu', { allowSoftwareAdapter: true });
  if (!w.attempt.ok) webgpuProblem = `${w.attempt.reason}; fix: ${w.attempt.fix}`;
});
afterAll(() => releaseWebGpu((n) => tf.removeBackend(n)));

async function on<T>(backend: string, f: () => Promise<T>): Promise<T> {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not start`);
  const before = tf.memory().numTensors;
  const out = await f();
  expect(tf.memory().numTensors, `tensors left on ${backend}`).toBe(before);
  return out;
}

describe('probes on webgpu (software adapter where no GPU)', () => {
  it('shatter: the same input gradients as on cpu', async (ctx) => {
    skipWithoutWebGpu(ctx, webgpuProblem);
    const options = resolveShatterOptions({ depth: 3, width: 16, points: 32, seed: 2 });
    const ref = await on('cpu', () => runShatter(options));
    const got = await on('webgpu', () => runShatter(options));
    expect(got.nets.map((n) => n.key)).toEqual(ref.nets.map((n) => n.key));
    for (const [i, n] of got.nets.entries()) {
      expect(n.gradient.every((g) => g !== null)).toBe(true);
      const err = relativeError(Float32Array.from(n.gradient as number[]), Float32Array.from(ref.nets[i]!.gradient as number[]));
      expect(err, n.key).toBeLessThan(1e-3);
    }
  });

  it('variance: the same block variances as on cpu', async (ctx) => {
    skipWithoutWebGpu(ctx, webgpuProblem);
    const options = resolveVarianceOptions({ depth: 4, width: 16, batchSize: 16, repeats: 1, arch: 'plain,residual' });
    const ref = await on('cpu', () => runVariance(options));
    const got = await on('webgpu', () => runVariance(options));
    for (const [i, s] of got.series.entries()) {
      const err = relativeError(Float32Array.from(s.meanSquare as number[]), Float32Array.from(ref.series[i]!.meanSquare as number[]));
      expect(s.meanSquare).toHaveLength(4);
      expect(err, s.arch).toBeLessThan(1e-3);
    }
  });
});
