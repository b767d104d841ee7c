/** Loads the WebAssembly backend: its multi-threaded build for convolutional work, else the stock one. */
import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_PACKAGES, INSTALL_FIX } from './backend-errors.js';
import { errorText, isResolvable, packageVersion, silenceTfjs } from './load-util.js';
import type { BackendTrial, InitOptions } from './types.js';

/**
 * Starts the multi-threaded wasm build when more than one thread is wanted (see wasm-threads.ts).
 * Returns false, with the stock single-threaded factory back in place, when it is not wanted or does
 * not start (a failure to start is also a warning: training is then slower than it could be), and
 * when a wasm build already runs.
 */
async function startThreadedWasm(convolutional: boolean, warnings: string[]): Promise<boolean> {
  // A wasm build (stock or threaded) already runs in this thread: it is kept, as replacing it would
  // drop its tensors, and the caller's plain `setBackend` selects it.
  if (tf.findBackend('wasm') != null) return false;
  const { registerThreadedWasm, wasmThreadCount, WASM_THREADS_ENV } = await import('../wasm-threads.js');
  const { threads, problem } = wasmThreadCount(convolutional);
  if (problem) warnings.push(problem);
  if (threads <= 1) return false;
  const attempt = registerThreadedWasm(threads);
  let thrown: unknown;
  try {
    if (await tf.setBackend('wasm')) return true;
  } catch (err) {
    thrown = err;
  }
  const why = attempt.failure() ?? thrown;
  warnings.push(
    `The multi-threaded wasm build did not start${why === undefined ? '' : ` (${errorText(why)})`}; using one thread (set ${WASM_THREADS_ENV}=1 to skip trying).`,
  );
  attempt.restore();
  return false;
}

export async function tryWasm(options: InitOptions): Promise<BackendTrial> {
  const name = 'wasm';
  silenceTfjs();
  let wasm: { getThreadsCount?: () => number; version_wasm?: string };
  try {
    wasm = (await import('@tensorflow/tfjs-backend-wasm')) as typeof wasm;
  } catch (err) {
    const installed = isResolvable(BACKEND_PACKAGES.wasm);
    return {
      attempt: {
        name,
        ok: false,
        reason: installed ? `failed to load: ${errorText(err)}` : 'not installed',
        fix: INSTALL_FIX.wasm,
      },
    };
  }
  const warnings: string[] = [];
  let ok = await startThreadedWasm(options.convolutional === true, warnings);
  if (!ok) {
    try {
      ok = await tf.setBackend('wasm');
    } catch {
      ok = false;
    }
  }
  if (!ok) {
    // tfjs swallows the init error (its warning is silenced); run the factory once more to learn it.
    let why = 'the WebAssembly module did not initialise';
    try {
      await tf.findBackendFactory('wasm')?.();
    } catch (err) {
      why = `the WebAssembly module did not initialise: ${errorText(err)}`;
    }
    return { attempt: { name, ok: false, reason: why, fix: `${INSTALL_FIX.wasm}, or use \`--backend cpu\`` } };
  }
  try {
    // Replaces wasm's missing/slow convolution gradient kernels (see DESIGN.md). It is idempotent.
    const { registerFastWasmConvGradients } = await import('../wasm-kernels.js');
    registerFastWasmConvGradients();
    // Same idea for the matmul gradients (transposed operands take a slow path on wasm).
    const { registerFastWasmMatMul } = await import('../wasm-matmul.js');
    registerFastWasmMatMul();
  } catch (err) {
    warnings.push(`The fast wasm convolution gradients could not be registered (${errorText(err)}); CNN training on wasm will be slow.`);
  }
  let simd = false;
  try {
    simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  } catch {
    simd = false;
  }
  let threads = 1;
  try {
    threads = wasm.getThreadsCount?.() ?? 1;
  } catch {
    threads = 1;
  }
  const versions: Record<string, string> = { 'tfjs-core': tf.version_core, node: process.versions.node };
  const v = wasm.version_wasm ?? packageVersion(BACKEND_PACKAGES.wasm);
  if (v) versions['tfjs-backend-wasm'] = v;
  return {
    attempt: { name, ok: true },
    loaded: {
      tfBackend: tf.getBackend(),
      device: `CPU (wasm, ${simd ? 'SIMD' : 'no SIMD'}, ${threads} thread${threads === 1 ? '' : 's'})`,
      usingGpu: false,
      warnings,
      versions,
    },
  };
}
