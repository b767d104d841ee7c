/**
 * Loads a TensorFlow native build (`@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node`) and says
 * which device it really computes on. A native build loads in one thread per process only and can
 * never be unloaded.
 */
import * as tf from '@tensorflow/tfjs-core';
import { pathToFileURL } from 'node:url';
import { CUDA11_FIX, CUDA_CACHE_SIZE, needsPtxJit, ptxJitWarning, smName } from '../../platform/cuda.js';
import { linkSharedTfjs, locateNative, nativeDir, type NativePackage } from '../../platform/native-home.js';
import { firstVisibleGpu, queryGpus, type GpuQuery } from '../../platform/nvidia-smi.js';
import {
  BACKEND_PACKAGES,
  GPU_CPU_FALLBACK_REASON,
  INSTALL_FIX,
  NODE_FIX,
  classifyLoadError,
  gpuCpuFallbackWarning,
  nodeMajor,
} from './backend-errors.js';
import { packageVersion, setEnvDefault, silenceTfjs } from './load-util.js';
import type { BackendTrial, InitOptions } from './types.js';

/** The native build loaded into this process, if any (it can never be unloaded). */
let nativeLoaded: 'node-gpu' | 'node' | null = null;

export async function tryNative(name: 'node-gpu' | 'node', options: InitOptions): Promise<BackendTrial> {
  const pkg = BACKEND_PACKAGES[name];
  const fail = (reason: string, fix: string): BackendTrial => ({ attempt: { name, ok: false, reason, fix } });

  if (nativeLoaded !== null && nativeLoaded !== name) {
    return fail(
      `${BACKEND_PACKAGES[nativeLoaded]} is already loaded in this process, and only one TensorFlow native build can be`,
      `start a new process for --backend ${name}`,
    );
  }
  const location = locateNative(pkg as NativePackage);
  const installed = location !== null;
  if (nodeMajor(process.versions.node) >= 23) {
    // tfjs-node 4.22 loads on Node 23+ but crashes at the first op; do not load it at all.
    return fail(
      `tfjs-node 4.22 does not work on Node ${process.versions.node} (Node 23 removed util.isNullOrUndefined, which it calls on every op)`,
      NODE_FIX,
    );
  }

  let gpus: GpuQuery | undefined;
  if (name === 'node-gpu') {
    // TensorFlow takes all GPU memory unless told otherwise; runs side by side need growth.
    setEnvDefault('TF_FORCE_GPU_ALLOW_GROWTH', 'true');
    // Keep kernels JIT-compiled from PTX (Ada/Hopper) in the cache so only the first start is slow.
    setEnvDefault('CUDA_CACHE_MAXSIZE', CUDA_CACHE_SIZE);
    if (installed) {
      gpus = await queryGpus();
      const gpu = firstVisibleGpu(gpus.gpus, process.env.CUDA_VISIBLE_DEVICES);
      if (gpu?.computeCapability && needsPtxJit(gpu.computeCapability)) {
        options.onStatus?.(
          `Loading the TensorFlow GPU build. On ${gpu.name} (${smName(gpu.computeCapability)}) CUDA compiles ` +
            'its kernels from PTX the first time, which can take many minutes; later starts use the cache.',
        );
      }
    }
  }
  // Keep TensorFlow's native logging (stderr, bypassing Node) out of the terminal.
  setEnvDefault('TF_CPP_MIN_LOG_LEVEL', '2');
  silenceTfjs();

  let mod: { version?: Record<string, string> };
  try {
    if (location === null) throw Object.assign(new Error(`Cannot find package '${pkg}'`), { code: 'ERR_MODULE_NOT_FOUND' });
    // In the per-user folder: its @tensorflow packages must be ours (one tfjs-core per process).
    if (location.where === 'user') linkSharedTfjs(nativeDir());
    mod = (await import(pathToFileURL(location.entry).href)) as { version?: Record<string, string> };
  } catch (err) {
    const { reason, fix } = classifyLoadError(name, err, installed);
    return fail(reason, fix);
  }
  nativeLoaded = name;
  try {
    // Loading it selects the 'tensorflow' backend; select it again in case another was chosen since.
    if (!(await tf.setBackend('tensorflow'))) {
      return fail(`${pkg} loaded, but its 'tensorflow' backend did not initialise`, INSTALL_FIX[name]);
    }
    // A tiny op proves the binding works (on Node 23+ this is where tfjs-node 4.22 would throw).
    tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2)).dataSync());
  } catch (err) {
    const { reason, fix } = classifyLoadError(name, err, true);
    return fail(reason, fix);
  }

  const backend = tf.backend() as { isUsingGpuDevice?: unknown; binding?: { TF_Version?: unknown } };
  const usingGpu = backend.isUsingGpuDevice === true;
  const versions: Record<string, string> = {
    'tfjs-core': tf.version_core,
    node: process.versions.node,
  };
  const pkgVersion = mod.version?.['tfjs-node'] ?? packageVersion(pkg);
  if (pkgVersion) versions[pkg.replace('@tensorflow/', '')] = pkgVersion;
  if (typeof backend.binding?.TF_Version === 'string') versions.libtensorflow = backend.binding.TF_Version;
  const warnings: string[] = [];

  if (name === 'node') {
    return {
      attempt: { name, ok: true },
      loaded: { tfBackend: tf.getBackend(), device: 'CPU (TensorFlow native)', usingGpu, warnings, versions },
    };
  }
  if (usingGpu) {
    gpus ??= await queryGpus();
    const gpu = firstVisibleGpu(gpus.gpus, process.env.CUDA_VISIBLE_DEVICES);
    if (gpu?.computeCapability && needsPtxJit(gpu.computeCapability)) {
      warnings.push(ptxJitWarning(gpu.name, gpu.computeCapability));
    }
    if (gpus.driverVersion) versions['nvidia-driver'] = gpus.driverVersion;
    return {
      attempt: { name, ok: true },
      loaded: { tfBackend: tf.getBackend(), device: `GPU (${gpu?.name ?? 'CUDA device 0'})`, usingGpu, warnings, versions },
    };
  }
  // The GPU build loaded but computes on the CPU. That is not a GPU success, so the attempt is
  // recorded as failed. But the native library cannot be unloaded, and loading the CPU build
  // beside it would clash (same libtensorflow soname, same 'tensorflow' backend), so the caller
  // keeps using it, labelled truthfully as CPU and with a warning.
  warnings.push(gpuCpuFallbackWarning);
  return {
    attempt: { name, ok: false, reason: GPU_CPU_FALLBACK_REASON, fix: CUDA11_FIX },
    loaded: {
      tfBackend: tf.getBackend(),
      device: 'CPU (TensorFlow native, GPU build found no usable GPU)',
      usingGpu: false,
      warnings,
      versions,
    },
  };
}
