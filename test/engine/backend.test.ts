import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { BACKEND_CHOICES, initBackend } from '../../src/engine/backend.js';
import { GPU_CPU_FALLBACK_REASON, classifyLoadError, nodeVersionProblem } from '../../src/engine/backends/backend-errors.js';
import { isResolvable } from '../../src/engine/backends/load-util.js';
import { needsPtxJit } from '../../src/platform/cuda.js';
import { UserError } from '../../src/util/errors.js';

// These tests describe this machine: neither native build can be installed here (their install
// script downloads libtensorflow), so `auto` must fall through to wasm.
const nativeInstalled = isResolvable('@tensorflow/tfjs-node-gpu') || isResolvable('@tensorflow/tfjs-node');

describe('initBackend on this machine', () => {
  let spies: MockInstance[] = [];
  beforeEach(() => {
    spies = [
      vi.spyOn(console, 'log'),
      vi.spyOn(console, 'warn'),
      vi.spyOn(console, 'error'),
      vi.spyOn(console, 'info'),
      vi.spyOn(process.stdout, 'write'),
      vi.spyOn(process.stderr, 'write'),
    ];
  });
  afterEach(() => {
    for (const s of spies) s.mockRestore();
  });
  const expectSilent = (): void => {
    for (const s of spies) expect(s.mock.calls, 'nothing may be printed during init').toEqual([]);
  };

  it.skipIf(nativeInstalled)('auto chooses wasm and says why the native builds were skipped', async () => {
    const choice = await initBackend('auto');
    expectSilent();
    expect(choice.name).toBe('wasm');
    expect(choice.tfBackend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(choice.usingGpu).toBe(false);
    expect(choice.device).toMatch(/^CPU \(wasm, (SIMD|no SIMD), \d+ threads?\)$/);
    expect(choice.attempts.map((a) => [a.name, a.ok])).toEqual([
      ['node-gpu', false],
      // This machine's only WebGPU adapter is llvmpipe (software): auto must pass it by.
      ['webgpu', false],
      ['node', false],
      ['wasm', true],
    ]);
    const [gpu, webgpu, node] = choice.attempts;
    // Without EGL_PLATFORM Dawn is not even asked for the OpenGL ES adapter; either way, no hardware one.
    expect(webgpu!.reason).toMatch(/^no hardware adapter: /);
    expect(webgpu!.fix).toBeTruthy();
    expect(gpu!.reason).toBe('not installed');
    expect(gpu!.fix).toContain('resnet-tutor gpu setup');
    expect(node!.reason).toBe('not installed');
    expect(node!.fix).toContain('resnet-tutor gpu setup --cpu');
    expect(choice.versions['tfjs-core']).toBe('4.22.0');
    expect(choice.versions['tfjs-backend-wasm']).toBe('4.22.0');
    expect(choice.versions.node).toBe(process.versions.node);
    // The wasm backend computes.
    expect(Array.from(tf.tidy(() => tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4]))).dataSync())).toEqual([4, 6]);
    expectSilent();
  });

  it('cpu works, and the "running in Node.js" banner is silenced', async () => {
    const choice = await initBackend('cpu');
    expect(choice).toMatchObject({ name: 'cpu', tfBackend: 'cpu', device: 'CPU (pure JavaScript)', usingGpu: false });
    expect(choice.attempts).toEqual([{ name: 'cpu', ok: true }]);
    expect(choice.versions['tfjs-backend-cpu']).toBe('4.22.0');
    // The cpu backend prints its banner at its first tensor unless PROD is set.
    const sum = tf.tidy(() => tf.sum(tf.tensor1d([1, 2, 3])).dataSync()[0]);
    expect(sum).toBe(6);
    expectSilent();
  });

  it.skipIf(nativeInstalled)('an explicit --backend node-gpu that fails throws a UserError with the fix', async () => {
    const err = await initBackend('node-gpu').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toContain('not installed');
    expect((err as Error).message).toContain('resnet-tutor gpu setup');
    expect((err as Error).message).not.toContain('\n');
    expectSilent();
  });

  it.skipIf(nativeInstalled)('an explicit --backend node that fails says how to install the CPU build', async () => {
    await expect(initBackend('node')).rejects.toThrow(/resnet-tutor gpu setup --cpu/);
  });

  it('rejects an unknown backend name', async () => {
    await expect(initBackend('webgl' as never)).rejects.toBeInstanceOf(UserError);
    expect(BACKEND_CHOICES).toEqual(['auto', 'node-gpu', 'webgpu', 'node', 'wasm', 'cpu']);
  });
});

describe('classifyLoadError', () => {
  const error = (message: string, code?: string): Error => Object.assign(new Error(message), code ? { code } : {});

  it('not installed', () => {
    const e = error("Cannot find package '@tensorflow/tfjs-node-gpu' imported from /x/dist/src/engine/backend.js", 'ERR_MODULE_NOT_FOUND');
    expect(classifyLoadError('node-gpu', e, false, '20.19.0')).toEqual({
      reason: 'not installed',
      fix: expect.stringContaining('resnet-tutor gpu setup') as unknown as string,
    });
    expect(classifyLoadError('node', e, false, '20.19.0').fix).toContain('@tensorflow/tfjs-node@4.22.0');
  });

  it('a missing dependency of an installed package', () => {
    const e = error("Cannot find module '@mapbox/node-pre-gyp'", 'MODULE_NOT_FOUND');
    expect(classifyLoadError('node-gpu', e, true, '20.19.0').reason).toContain('@mapbox/node-pre-gyp');
  });

  it('a missing CUDA library names it and gives the CUDA 11 fix', () => {
    const e = error('libcudnn.so.8: cannot open shared object file: No such file or directory', 'ERR_DLOPEN_FAILED');
    const r = classifyLoadError('node-gpu', e, true, '20.19.0');
    expect(r.reason).toContain('libcudnn.so.8');
    expect(r.fix).toContain('LD_LIBRARY_PATH');
    expect(r.fix).toContain('cudatoolkit=11.8');
    expect(r.fix).toContain('@tensorflow/tfjs-node@4.22.0');
  });

  it('a missing libtensorflow means the install did not finish', () => {
    const e = error('libtensorflow.so.2: cannot open shared object file: No such file or directory', 'ERR_DLOPEN_FAILED');
    const r = classifyLoadError('node', e, true, '20.19.0');
    expect(r.reason).toContain('libtensorflow.so.2');
    expect(r.fix).toContain('@tensorflow/tfjs-node@4.22.0');
  });

  it('a missing native addon', () => {
    const e = error("Cannot find module '/x/node_modules/@tensorflow/tfjs-node-gpu/lib/napi-v8/tfjs_binding.node'", 'MODULE_NOT_FOUND');
    expect(classifyLoadError('node-gpu', e, true, '20.19.0').reason).toContain('tfjs_binding.node');
  });

  it('Module did not self-register explains the one-thread limit', () => {
    const e = error(
      "Module did not self-register: '/x/node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node'.",
      'ERR_DLOPEN_FAILED',
    );
    const r = classifyLoadError('node', e, true, '20.19.0');
    expect(r.reason).toMatch(/one thread per process/);
    expect(r.fix).toMatch(/process/);
  });

  it('Node 23+', () => {
    const e = new TypeError('(0 , util_1.isNullOrUndefined) is not a function');
    const r = classifyLoadError('node', e, true, '23.1.0');
    expect(r.reason).toContain('Node 23');
    expect(r.fix).toContain('Node 20 or 22');
    expect(nodeVersionProblem('23.1.0')).toContain('Node 23');
    expect(nodeVersionProblem('24.0.0')).toContain('isNullOrUndefined');
    expect(nodeVersionProblem('22.11.0')).toBeUndefined();
    expect(nodeVersionProblem('20.19.0')).toBeUndefined();
    expect(nodeVersionProblem('18.20.0')).toContain('older than Node 20');
  });

  it('anything else keeps the first line of the message', () => {
    const r = classifyLoadError('node', error('something odd\nat stack'), true, '20.19.0');
    expect(r.reason).toBe('failed to load: something odd');
  });

  it('the GPU build on the CPU has the documented reason', () => {
    expect(GPU_CPU_FALLBACK_REASON).toBe(
      'loaded, but computes on the CPU: no usable GPU/CUDA 11 found (CUDA 12 alone is not enough for libtensorflow 2.9.1)',
    );
  });
});

describe('PTX JIT', () => {
  it('knows which compute capabilities compile from PTX', () => {
    expect(needsPtxJit('9.0')).toBe(true);
    expect(needsPtxJit('8.9')).toBe(true);
    // libtensorflow 2.9.1 ships SASS for sm_35/50/60/70/75 and PTX for compute_80: A100 (8.0) and
    // everything newer JIT-compiles; Turing (7.5) and Volta (7.0, 7.2) run machine code.
    expect(needsPtxJit('8.6')).toBe(true);
    expect(needsPtxJit('8.0')).toBe(true);
    expect(needsPtxJit('7.5')).toBe(false);
    expect(needsPtxJit('7.2')).toBe(false);
    expect(needsPtxJit('6.1')).toBe(false);
    expect(needsPtxJit(undefined)).toBe(false);
  });
});
