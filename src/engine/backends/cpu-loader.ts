/** Loads the pure-JavaScript backend (with this project's kernel fixes). */
import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_PACKAGES, INSTALL_FIX } from './backend-errors.js';
import { errorText, isResolvable, packageVersion, silenceTfjs } from './load-util.js';
import type { BackendTrial } from './types.js';

export async function tryCpu(): Promise<BackendTrial> {
  const name = 'cpu';
  silenceTfjs();
  let cpu: { version_cpu?: string };
  try {
    cpu = (await import('@tensorflow/tfjs-backend-cpu')) as typeof cpu;
    if (!(await tf.setBackend('cpu'))) throw new Error("the 'cpu' backend did not initialise");
    // tfjs-backend-cpu 4.22's ResizeNearestNeighborGrad is wrong for batch > 1 (see cpu-kernels.ts).
    const { registerCpuKernelFixes } = await import('../cpu-kernels.js');
    registerCpuKernelFixes();
  } catch (err) {
    const installed = isResolvable(BACKEND_PACKAGES.cpu);
    return {
      attempt: { name, ok: false, reason: installed ? `failed to load: ${errorText(err)}` : 'not installed', fix: INSTALL_FIX.cpu },
    };
  }
  const versions: Record<string, string> = { 'tfjs-core': tf.version_core, node: process.versions.node };
  const v = cpu.version_cpu ?? packageVersion(BACKEND_PACKAGES.cpu);
  if (v) versions['tfjs-backend-cpu'] = v;
  return {
    attempt: { name, ok: true },
    loaded: { tfBackend: tf.getBackend(), device: 'CPU (pure JavaScript)', usingGpu: false, warnings: [], versions },
  };
}
