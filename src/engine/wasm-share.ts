/**
 * Zero-copy `Identity` and same-dtype `Cast` for the tfjs wasm backend.
 *
 * The engine saves every tensor a gradient needs through `Identity` (engine.clone), and tfjs's gradients
 * cast float32 tensors to float32 here and there. wasm's kernels for both copy the data (one full pass
 * per call: 555 copies, about 30 ms of one ResNet-20 training step at batch 32). The wasm backend
 * reference-counts its data (its own `Reshape` shares the input's data this way) and no wasm kernel
 * writes into its inputs, so a copy and a shared reference cannot be told apart. Idempotent.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';

const WASM = 'wasm';

interface RefCounting {
  incRef(dataId: tf.DataId): void;
}

let originals: { identity: tf.KernelConfig; cast: tf.KernelConfig } | null = null;

function share(backend: tf.KernelBackend, x: tf.TensorInfo): tf.TensorInfo {
  (backend as unknown as RefCounting).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** Registers the sharing kernels for 'wasm' (the copying ones stay reachable for `unregister`). */
export function registerWasmSharingKernels(): void {
  if (originals != null) return;
  const identity = tf.getKernel('Identity', WASM);
  const cast = tf.getKernel('Cast', WASM);
  if (identity == null || cast == null) throw new Error('wasm-share: the wasm backend has no Identity or Cast kernel.');
  originals = { identity, cast };
  tf.unregisterKernel('Identity', WASM);
  tf.registerKernel({
    kernelName: 'Identity',
    backendName: WASM,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const x = inputs['x'] as tf.TensorInfo;
      return x.dtype === 'string' ? identity.kernelFunc({ inputs, backend, attrs }) : share(backend as tf.KernelBackend, x);
    },
  });
  tf.unregisterKernel('Cast', WASM);
  tf.registerKernel({
    kernelName: 'Cast',
    backendName: WASM,
    setupFunc: cast.setupFunc,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const x = inputs['x'] as tf.TensorInfo;
      const dtype = attrs?.['dtype'] as string | undefined;
      return x.dtype === dtype && dtype !== 'string' ? share(backend as tf.KernelBackend, x) : cast.kernelFunc({ inputs, backend, attrs });
    },
  });
}

/** Puts wasm's copying `Identity` and `Cast` back. For benchmarks and tests. */
export function unregisterWasmSharingKernels(): void {
  if (originals == null) return;
  for (const config of [originals.identity, originals.cast]) {
    tf.unregisterKernel(config.kernelName, WASM);
    tf.registerKernel(config);
  }
  originals = null;
}

export function wasmSharingKernelsRegistered(): boolean {
  return originals != null;
}
