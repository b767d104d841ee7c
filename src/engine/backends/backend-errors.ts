/**
 * The texts of backend failures: which package each backend needs, the command that installs it,
 * and the one-line reason and fix for each way a TensorFlow native build fails to load. Pure.
 */
import { CUDA11_FIX } from '../../platform/cuda.js';
import type { BackendName } from './types.js';
import { WEBGPU_INSTALL_FIX } from './webgpu.js';

/** The npm package behind each backend. */
export const BACKEND_PACKAGES: Readonly<Record<BackendName, string>> = {
  'node-gpu': '@tensorflow/tfjs-node-gpu',
  webgpu: '@tensorflow/tfjs-backend-webgpu',
  node: '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
};

/** The command that installs each backend's package. */
export const INSTALL_FIX: Readonly<Record<BackendName, string>> = {
  'node-gpu':
    'run `resnet-tutor gpu setup` (it installs @tensorflow/tfjs-node-gpu@4.22.0 and the CUDA 11.8 libraries into your per-user folder, no root needed)',
  webgpu: WEBGPU_INSTALL_FIX,
  node: 'run `resnet-tutor gpu setup --cpu` (it installs @tensorflow/tfjs-node@4.22.0 into your per-user folder)',
  wasm: 'run `npm install @tensorflow/tfjs-backend-wasm@4.22.0` in the resnet-tutor folder',
  cpu: 'run `npm install @tensorflow/tfjs-backend-cpu@4.22.0` in the resnet-tutor folder',
};

export const GPU_CPU_FALLBACK_REASON =
  'loaded, but computes on the CPU: no usable GPU/CUDA 11 found (CUDA 12 alone is not enough for libtensorflow 2.9.1)';

export const NODE_FIX =
  'use the WebGPU route instead (`--backend webgpu`, any Node version; it needs a Vulkan driver, not CUDA), or Node 20 or 22 for the TensorFlow native backends (e.g. `nvm install 22 && nvm use 22`)';

/** A cache size big enough that the kernels CUDA JIT-compiles from PTX stay cached between runs. */

// ---------------------------------------------------------------------------------------------
// Pure helpers (tested directly)

export function nodeMajor(version: string): number {
  return Number.parseInt(version.replace(/^v/, '').split('.')[0] ?? '0', 10) || 0;
}

/** A warning about the Node version for the native builds, or undefined when it is fine. */
export function nodeVersionProblem(version: string): string | undefined {
  const major = nodeMajor(version);
  if (major >= 23) {
    return (
      `Node ${version} is too new for tfjs-node 4.22: Node 23 removed util.isNullOrUndefined, which ` +
      'tfjs-node calls on every op ("TypeError: (0 , util_1.isNullOrUndefined) is not a function"), ' +
      'so the TensorFlow native backends (node-gpu, node) are skipped. On a GPU use the WebGPU route ' +
      '(`--backend webgpu`), which works on any Node; or Node 20 or 22 for the TensorFlow route. wasm and cpu work on any Node.'
    );
  }
  if (major > 0 && major < 20) {
    return `Node ${version} is older than Node 20, which resnet-tutor needs. Install Node 20 or 22.`;
  }
  return undefined;
}

export const gpuCpuFallbackWarning =
  'The GPU build (@tensorflow/tfjs-node-gpu) loaded but found no usable GPU, so TensorFlow computes on ' +
  'the CPU (as fast as the CPU build, no faster). libtensorflow 2.9.1 needs CUDA 11.x and cuDNN 8 ' +
  '(libcudart.so.11.0, libcudnn.so.8, ...); CUDA 12 alone is not enough. A native build cannot be ' +
  'unloaded, so this process keeps using it. Run `resnet-tutor doctor` to see which libraries are missing.';

/**
 * Turns the error of `import('@tensorflow/tfjs-node[-gpu]')` into a reason and a fix.
 * `installed` says whether the package itself resolves (so "cannot find" is about something else).
 */
export function classifyLoadError(
  name: 'node-gpu' | 'node',
  err: unknown,
  installed: boolean,
  nodeVersion: string = process.versions.node,
): { reason: string; fix: string } {
  const pkg = BACKEND_PACKAGES[name];
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  const firstLine = message.split('\n')[0]!.trim();

  const missingLib = /([\w.+-]+\.so(?:\.[\w.]+)?): cannot open shared object file/.exec(message)?.[1];
  if (missingLib) {
    if (/^libtensorflow/.test(missingLib)) {
      return {
        reason: `installed, but its ${missingLib} is missing (the package's install script did not finish downloading libtensorflow)`,
        fix: `reinstall it on a machine with internet access: ${INSTALL_FIX[name]}`,
      };
    }
    if (/^lib(cu|nv)/.test(missingLib)) {
      return {
        reason: `the shared library ${missingLib} is missing (libtensorflow 2.9.1 needs CUDA 11.x and cuDNN 8)`,
        fix: CUDA11_FIX,
      };
    }
    return {
      reason: `the system library ${missingLib} is missing`,
      fix: `install the package that provides ${missingLib} with your system's package manager, or use \`--backend wasm\``,
    };
  }
  if (/Module did not self-register/i.test(message)) {
    return {
      reason:
        "TensorFlow native was already loaded by another thread of this process (even one that has ended), and it loads in only one thread per process ('Module did not self-register')",
      fix: 'train in one worker per process (start separate processes for parallel runs), or use `--backend wasm` for parallel workers',
    };
  }
  if (/isNullOrUndefined/.test(message) || nodeMajor(nodeVersion) >= 23) {
    return {
      reason: `tfjs-node 4.22 does not work on Node ${nodeVersion} (Node 23 removed util.isNullOrUndefined, which it calls)`,
      fix: NODE_FIX,
    };
  }
  if (/GLIBC_[\d.]+'? not found|GLIBCXX_[\d.]+'? not found/.test(message)) {
    return {
      reason: `libtensorflow needs a newer C library than this system has (${firstLine})`,
      fix: 'run on a newer Linux (e.g. Ubuntu 20.04 or later, or such a container), or use `--backend wasm`',
    };
  }
  if (/tfjs_binding\.node/.test(message)) {
    return {
      reason: "installed, but its native addon (tfjs_binding.node) is missing: the package's install script did not finish",
      fix: `reinstall it on a machine with internet access: ${INSTALL_FIX[name]}`,
    };
  }
  if (!installed || code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
    const missing = /Cannot find (?:package|module) '([^']+)'/.exec(message)?.[1];
    if (!installed || missing === undefined || missing === pkg || missing.startsWith(`${pkg}/`)) {
      return { reason: 'not installed', fix: INSTALL_FIX[name] };
    }
    return {
      reason: `installed, but its dependency ${missing} is missing`,
      fix: `reinstall it: ${INSTALL_FIX[name]}`,
    };
  }
  if (/NODE_MODULE_VERSION|was compiled against a different Node/.test(message)) {
    return {
      reason: `its native addon was built for another Node version (${firstLine})`,
      fix: `run \`npm rebuild ${pkg}\` in the resnet-tutor folder, or ${INSTALL_FIX[name]}`,
    };
  }
  return {
    reason: `failed to load: ${firstLine}`,
    fix: `${INSTALL_FIX[name]}; if it still fails, use \`--backend wasm\``,
  };
}
