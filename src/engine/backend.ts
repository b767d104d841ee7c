/**
 * Chooses and starts the TensorFlow.js backend, and says truthfully which device computes.
 *
 * `auto` tries, in order: the TensorFlow native GPU build (`@tensorflow/tfjs-node-gpu`, only when it
 * really computes on a GPU), WebGPU on a hardware adapter (backends/webgpu.ts), the native CPU build
 * (`@tensorflow/tfjs-node`), WebAssembly, then pure JavaScript. The two native builds are
 * optional packages (their install script downloads libtensorflow, so a default install leaves them
 * out); they are loaded with a dynamic `import()` and every failure is turned into a one-line reason
 * and the command that fixes it. Nothing here prints: messages go into the returned choice (or into
 * `onStatus` for the one slow step the caller may want to announce).
 *
 * Facts this module relies on (tfjs 4.22):
 * - tfjs-node(-gpu) 4.22 bundles libtensorflow 2.9.1: CUDA 11.x + cuDNN 8. With CUDA 12 alone the
 *   GPU build still loads, but silently computes on the CPU. `tf.getBackend()` is `tensorflow` for
 *   both native builds; the backend object's `isUsingGpuDevice` tells which device is used.
 * - A native build loads in one thread per process only (a second thread gets "Module did not
 *   self-register"), and it cannot be unloaded.
 * - Node 23 removed `util.isNullOrUndefined`, which tfjs-node 4.22 calls on every op.
 */
import { UserError } from '../util/errors.js';
import { INSTALL_FIX, nodeVersionProblem } from './backends/backend-errors.js';
import { tryCpu } from './backends/cpu-loader.js';
import { silenceTfjs } from './backends/load-util.js';
import { tryNative } from './backends/native-loader.js';
import type { BackendAttempt, BackendChoice, BackendName, BackendRequest, BackendTrial, InitOptions } from './backends/types.js';
import { tryWasm } from './backends/wasm-loader.js';
import { tryWebGpu } from './backends/webgpu-loader.js';

export type { BackendChoice, BackendName, BackendRequest, InitOptions } from './backends/types.js';

export const BACKEND_CHOICES: readonly BackendRequest[] = ['auto', 'node-gpu', 'webgpu', 'node', 'wasm', 'cpu'];
/** The order `auto` tries backends in: fastest first (webgpu only on a hardware adapter). */
export const AUTO_ORDER: readonly BackendName[] = ['node-gpu', 'webgpu', 'node', 'wasm', 'cpu'];

/**
 * Tries one backend and, when it loads, makes it tfjs's active backend. Never throws: the result
 * says what happened. `resnet-tutor doctor` uses this to fill its table.
 */
export async function tryBackend(name: BackendName, options: InitOptions = {}): Promise<BackendTrial> {
  switch (name) {
    case 'node-gpu':
    case 'node':
      return tryNative(name, options);
    case 'webgpu':
      return tryWebGpu(options);
    case 'wasm':
      return tryWasm(options);
    case 'cpu':
      return tryCpu();
  }
}

function explicitFailure(attempt: BackendAttempt): UserError {
  return new UserError(
    `--backend ${attempt.name} cannot be used here: ${attempt.reason ?? 'it failed to load'}. ` +
      `To fix it, ${attempt.fix ?? INSTALL_FIX[attempt.name]}. Or use \`--backend auto\` to take the best ` +
      'backend that loads (`resnet-tutor doctor` shows them all).',
  );
}

/**
 * Starts the requested backend (or, for `auto`, the best one that loads) and reports which device
 * really computes. An explicitly requested backend that fails throws `UserError` with the reason
 * and the fix.
 */
export async function initBackend(request: BackendRequest, options: InitOptions = {}): Promise<BackendChoice> {
  if (!BACKEND_CHOICES.includes(request)) {
    throw new UserError(`Unknown backend '${String(request)}'. Expected one of: ${BACKEND_CHOICES.join(', ')}.`);
  }
  silenceTfjs();
  const order: readonly BackendName[] = request === 'auto' ? AUTO_ORDER : [request];
  const attempts: BackendAttempt[] = [];
  const nodeWarning = nodeVersionProblem(process.versions.node);
  for (const name of order) {
    // A software WebGPU adapter is slower than wasm: only taken when webgpu is asked for by name.
    const trial = await tryBackend(name, { ...options, allowSoftwareAdapter: request === 'webgpu' });
    attempts.push(trial.attempt);
    if (request !== 'auto' && !trial.attempt.ok) throw explicitFailure(trial.attempt);
    // In auto mode a GPU build that computes on the CPU is kept (see tryNative): it cannot be
    // unloaded, and the CPU build would compute the same way.
    if (trial.loaded) {
      const warnings = [...trial.loaded.warnings];
      if (nodeWarning) warnings.push(nodeWarning);
      return {
        name,
        tfBackend: trial.loaded.tfBackend,
        device: trial.loaded.device,
        usingGpu: trial.loaded.usingGpu,
        attempts,
        warnings,
        versions: trial.loaded.versions,
        ...(trial.loaded.adapter ? { adapter: trial.loaded.adapter } : {}),
        asyncReads: name === 'webgpu',
      };
    }
  }
  throw new UserError(
    'No TensorFlow.js backend could be loaded: ' +
      attempts.map((a) => `${a.name}: ${a.reason ?? 'failed'}`).join('; ') +
      '. Reinstall resnet-tutor (`npm install`) and run `resnet-tutor doctor`.',
  );
}
