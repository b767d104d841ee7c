/**
 * What this project knows about CUDA for the TensorFlow GPU build (libtensorflow 2.9.1 inside
 * tfjs-node-gpu 4.22): the libraries it opens, the fix when they are missing, and which GPUs must
 * JIT-compile its kernels from PTX. Pure, no tfjs import.
 */
import { CUDA_CACHE_SIZE } from './gpu-env.js';

export { CUDA_CACHE_SIZE };

/** The CUDA and cuDNN libraries libtensorflow 2.9.1 (inside tfjs-node-gpu 4.22) opens. */
export const GPU_BUILD_LIBRARIES: readonly string[] = [
  'libcudart.so.11.0',
  'libcudnn.so.8',
  'libcublas.so.11',
  'libcublasLt.so.11',
  'libcufft.so.10',
  'libcurand.so.10',
  'libcusolver.so.11',
  'libcusparse.so.11',
];

export const CUDA11_FIX =
  'install the CUDA 11.8 and cuDNN 8.6 runtime libraries and put them on LD_LIBRARY_PATH, e.g. ' +
  '`conda create -n cuda11 -c conda-forge cudatoolkit=11.8 cudnn=8` then ' +
  '`export LD_LIBRARY_PATH=$CONDA_PREFIX/lib:$LD_LIBRARY_PATH` (CUDA 12 alone is not enough for ' +
  'libtensorflow 2.9.1); or use the CPU build: `npm install --no-save @tensorflow/tfjs-node@4.22.0` ' +
  'and `--backend node`';

/**
 * What libtensorflow 2.9.1 (TF 2.9's official Linux GPU build, TF_CUDA_COMPUTE_CAPABILITIES in its
 * release build config) ships: machine code (SASS) for these architectures, and PTX for compute_80.
 */
export const TF29_SASS = ['sm_35', 'sm_50', 'sm_60', 'sm_70', 'sm_75'] as const;
export const TF29_PTX = 'compute_80';

/**
 * Does a GPU of this compute capability ('9.0') need CUDA to JIT-compile TF 2.9's kernels from PTX?
 * SASS for sm_XY runs on any X.Z with Z >= Y (same major); nothing else runs it. So A100 (8.0),
 * A40/RTX 30 (8.6), L4/L40/RTX 40 (8.9), H100/H200 (9.0) and newer all compile from compute_80 PTX.
 */
export function needsPtxJit(computeCapability: string | undefined): boolean {
  if (!computeCapability) return false;
  const m = /^(\d+)\.(\d+)$/.exec(computeCapability.trim());
  if (!m) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  const runsSass = TF29_SASS.some((sm) => {
    const [smMajor, smMinor] = [Number(sm.slice(3, -1)), Number(sm.slice(-1))];
    return smMajor === major && smMinor <= minor;
  });
  return !runsSass && major * 10 + minor >= 80;
}

export function smName(computeCapability: string): string {
  return `sm_${computeCapability.replace('.', '')}`;
}

export function ptxJitWarning(gpuName: string, computeCapability: string): string {
  return (
    `${gpuName} has compute capability ${computeCapability} (${smName(computeCapability)}). libtensorflow 2.9.1 ships ` +
    `machine code only for ${TF29_SASS.join(', ')} and PTX for ${TF29_PTX}, so the CUDA driver JIT-compiles every ` +
    'kernel from PTX at its first use: the first run can spend many minutes (reports say 30 or more on H100) before ' +
    'its first step (it is not hung). The driver keeps what it compiled in its compute cache (CUDA_CACHE_PATH, ' +
    `default ~/.nv/ComputeCache) up to CUDA_CACHE_MAXSIZE bytes; resnet-tutor sets ${CUDA_CACHE_SIZE} (4 GiB) when it is ` +
    'unset, as the default 256 MiB is too small and later runs would compile again. Keep CUDA_CACHE_PATH on a ' +
    'persistent local disk (not /tmp); a driver update recompiles once. Or use the WebGPU route (`--backend webgpu`), ' +
    'which has no PTX step.'
  );
}
