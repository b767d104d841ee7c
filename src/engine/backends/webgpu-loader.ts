/** Loads the WebGPU backend on an adapter Dawn opens (a hardware one unless software is allowed). */
import * as tf from '@tensorflow/tfjs-core';
import { queryGpus, realFiles } from '../../platform/nvidia-smi.js';
import { BACKEND_PACKAGES } from './backend-errors.js';
import { errorText, isResolvable, packageVersion, silenceTfjs } from './load-util.js';
import type { BackendTrial, InitOptions } from './types.js';
import {
  WEBGPU_INSTALL_FIX,
  WEBGPU_PACKAGES,
  adapterDeviceLine,
  canOpenLibrary,
  openAdapter,
  registerWebGpuBackend,
  releaseWebGpu,
} from './webgpu.js';
import { gatherVulkanFacts, webGpuAdvice } from './webgpu-advice.js';

export async function tryWebGpu(options: InitOptions): Promise<BackendTrial> {
  const name = 'webgpu';
  const fail = (reason: string, fix: string): BackendTrial => ({ attempt: { name, ok: false, reason, fix } });
  silenceTfjs();
  const missing = WEBGPU_PACKAGES.filter((p) => !isResolvable(p));
  if (missing.length > 0) return fail(`not installed (${missing.join(', ')} missing)`, WEBGPU_INSTALL_FIX);
  const allowSoftware = options.allowSoftwareAdapter === true;
  let opened;
  try {
    opened = await openAdapter(allowSoftware);
  } catch (err) {
    const why = errorText(err);
    const gpus = await queryGpus();
    const facts = gatherVulkanFacts(realFiles, canOpenLibrary('libvulkan.so.1'), gpus.gpus.length > 0, process.env);
    const advice = webGpuAdvice(facts);
    return fail(`no ${allowSoftware ? '' : 'hardware '}adapter: ${advice.reason} (Dawn: ${why})`, advice.fix);
  }
  let version: string | null;
  try {
    ({ version } = await registerWebGpuBackend());
    if (!(await tf.setBackend('webgpu'))) throw new Error("the 'webgpu' backend did not initialise");
    // A tiny op read back asynchronously proves the device computes.
    const probe = tf.add(tf.scalar(1), tf.scalar(2));
    const three = (await probe.data())[0];
    probe.dispose();
    if (three !== 3) throw new Error(`1 + 2 gave ${three}: the adapter computes wrong results`);
  } catch (err) {
    releaseWebGpu((n) => tf.removeBackend(n));
    return fail(`the adapter opened but tfjs could not use it: ${errorText(err)}`, 'update the GPU driver, or use `--backend wasm`');
  }
  const versions: Record<string, string> = { 'tfjs-core': tf.version_core, node: process.versions.node };
  const v = version ?? packageVersion(BACKEND_PACKAGES.webgpu);
  if (v) versions['tfjs-backend-webgpu'] = v;
  const dawn = packageVersion('webgpu');
  if (dawn) versions.webgpu = dawn;
  const warnings: string[] = [];
  if (opened.adapter.software) {
    warnings.push(
      `WebGPU runs on a software adapter (${opened.adapter.device || opened.adapter.description}): the results are correct, but it is slower than wasm. It exists for tests; use --backend auto or wasm to train.`,
    );
  }
  return {
    attempt: { name, ok: true },
    loaded: {
      tfBackend: tf.getBackend(),
      device: adapterDeviceLine(opened.adapter),
      usingGpu: !opened.adapter.software,
      warnings,
      versions,
      adapter: opened.adapter,
    },
  };
}
