/**
 * wasm's BatchMatMul takes a slow path whenever an operand is transposed (DESIGN.md; measured 12x
 * slower than transposing first), and every matmul gradient asks for a transposed operand. This
 * registers a wasm BatchMatMul that transposes such operands explicitly (a cheap copy) and then runs
 * the original kernel on plain layouts. Idempotent; the original kernel stays reachable.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';

const WASM = 'wasm';
const KERNEL = 'BatchMatMul';
let original: tf.KernelConfig | null = null;

export function registerFastWasmMatMul(): void {
  if (original) return;
  const config = tf.getKernel(KERNEL, WASM);
  if (!config) throw new Error('wasm-matmul: the wasm backend has no BatchMatMul kernel');
  original = config;
  const base = config;
  tf.unregisterKernel(KERNEL, WASM);
  tf.registerKernel({
    kernelName: KERNEL,
    backendName: WASM,
    setupFunc: base.setupFunc,
    disposeFunc: base.disposeFunc,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const transposeA = Boolean(attrs?.transposeA);
      const transposeB = Boolean(attrs?.transposeB);
      if (!transposeA && !transposeB) return base.kernelFunc({ inputs, backend, attrs });
      const transposeKernel = tf.getKernel('Transpose', WASM)!;
      const scratch: tf.TensorInfo[] = [];
      const swapLast = (x: tf.TensorInfo) => {
        const n = x.shape.length;
        if (n < 2) throw new Error(`${KERNEL}: an operand to transpose needs rank 2 or more, got [${x.shape.join(', ')}]`);
        const perm = [...Array(n - 2).keys(), n - 1, n - 2]; // the identity with the last two axes swapped
        const t = transposeKernel.kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
        scratch.push(t);
        return t;
      };
      try {
        return base.kernelFunc({
          inputs: { a: transposeA ? swapLast(a) : a, b: transposeB ? swapLast(b) : b },
          backend,
          attrs: { ...attrs, transposeA: false, transposeB: false },
        });
      } finally {
        for (const t of scratch) (backend as tf.KernelBackend).disposeData(t.dataId);
      }
    },
  });
}
