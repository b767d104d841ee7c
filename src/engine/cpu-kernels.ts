/**
 * Corrections to tfjs-backend-cpu 4.22's kernels.
 *
 * `ResizeNearestNeighborGrad` there reads `dy` at the input's batch offset (b * H * W * C of the
 * small image) instead of dy's own (b * 2H * 2W * C for our U-Net's upsampling), so every image
 * after the first in a batch gets the gradient of the wrong pixels (still so on tfjs master). Ours
 * scatters each dy pixel onto the input pixel the forward op read it from, with the forward op's
 * mapping (alignCorners as given; halfPixelCenters is not an attribute of the gradient).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';

/** Pure: the input index the forward nearest-neighbour resize reads for output index `out`. */
export function nearestSource(out: number, inSize: number, outSize: number, alignCorners: boolean): number {
  const scale = alignCorners && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize;
  const frac = out * scale;
  return Math.min(inSize - 1, alignCorners ? Math.round(frac) : Math.floor(frac));
}

/** Pure: dx for images of `imagesShape` [batch, h, w, c] from dy of shape [batch, h2, w2, c]. */
export function resizeNearestNeighborGradValues(
  dy: ArrayLike<number>,
  imagesShape: readonly [number, number, number, number],
  dyShape: readonly [number, number, number, number],
  alignCorners: boolean,
): Float32Array {
  const [batch, xh, xw, depth] = imagesShape;
  const [, yh, yw] = dyShape;
  const dx = new Float32Array(batch * xh * xw * depth);
  const rows = Array.from({ length: yh }, (_, r) => nearestSource(r, xh, yh, alignCorners));
  const cols = Array.from({ length: yw }, (_, c) => nearestSource(c, xw, yw, alignCorners));
  for (let b = 0; b < batch; b++) {
    for (let r = 0; r < yh; r++) {
      for (let c = 0; c < yw; c++) {
        const from = ((b * yh + r) * yw + c) * depth;
        const to = ((b * xh + rows[r]!) * xw + cols[c]!) * depth;
        for (let d = 0; d < depth; d++) dx[to + d]! += dy[from + d]!;
      }
    }
  }
  return dx;
}

const config: tf.KernelConfig = {
  kernelName: tf.ResizeNearestNeighborGrad,
  backendName: 'cpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { images, dy } = inputs as { images: tf.TensorInfo; dy: tf.TensorInfo };
    const cpu = backend as MathBackendCPU;
    const values = cpu.data.get(dy.dataId).values as Float32Array;
    const dx = resizeNearestNeighborGradValues(
      values,
      images.shape as [number, number, number, number],
      dy.shape as [number, number, number, number],
      (attrs as { alignCorners?: boolean }).alignCorners === true,
    );
    return cpu.makeTensorInfo(images.shape, 'float32', dx);
  },
};

/** Replaces the cpu backend's ResizeNearestNeighborGrad with the corrected one (idempotent). */
export function registerCpuKernelFixes(): void {
  if (tf.getKernel(config.kernelName, 'cpu')?.kernelFunc === config.kernelFunc) return;
  if (tf.getKernel(config.kernelName, 'cpu')) tf.unregisterKernel(config.kernelName, 'cpu');
  tf.registerKernel(config);
}
