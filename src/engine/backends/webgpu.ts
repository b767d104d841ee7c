/**
 * The WebGPU route: Dawn (the npm package `webgpu`, a prebuilt `dawn.node`) under
 * `@tensorflow/tfjs-backend-webgpu`. It needs only a Vulkan (or OpenGL ES) driver: no CUDA, no cuDNN.
 *
 * Facts this module relies on (webgpu 0.6.2, tfjs-backend-webgpu 4.22, measured on Node 20):
 * - tfjs-backend-webgpu registers its backend at import time only if `navigator.gpu` exists, and its
 *   factory calls `navigator.gpu.requestAdapter()` without a feature level. We choose the adapter
 *   ourselves and hand tfjs a `navigator.gpu` whose `requestAdapter` returns it.
 * - Dawn's instance keeps Node alive while it is referenced: `releaseWebGpu` drops every reference.
 * - Synchronous reads (`dataSync`) do not work in Node (tfjs reads through OffscreenCanvas): code that
 *   runs on this backend reads with `await tensor.data()`.
 * - On a machine without a GPU, Dawn's OpenGL ES backend on Mesa's llvmpipe (with
 *   EGL_PLATFORM=surfaceless in the process environment at start) is a software adapter: correct,
 *   slower than wasm, and never taken by `--backend auto`. Mesa reads EGL_PLATFORM from the C
 *   environment, which a worker thread's `process.env` does not change: the CLI sets it at start
 *   (see platform/gpu-env.ts).
 * - Dawn's `null` backend returns garbage and is never used.
 * - Opening an adapter, Dawn prints "Warning: maxDynamic{Uniform,Storage}BuffersPerPipelineLayout
 *   artificially reduced from N to 16 ..." (Limits.cpp, on every backend, hardware too) from native
 *   code straight to file descriptor 2. Harmless; and the engine runs in a thread of the CLI's own
 *   process, whose stderr cannot be filtered for one library, so it stays (README says so). A check
 *   that runs in a child of ours (gpu:check, the bench) filters it.
 */
import { createRequire } from 'node:module';

/** The Dawn backends this module tries, in order. */
export type DawnBackend = 'vulkan' | 'opengles' | 'opengl';

/** What we say about the adapter that computes: the run header, run.json and doctor show it. */
export interface AdapterSummary {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  /** Dawn's backend, e.g. 'vulkan'. */
  readonly dawnBackend: DawnBackend;
  /** The adapter says it is a fallback adapter (WebGPU's isFallbackAdapter). */
  readonly fallback: boolean;
  /** A CPU rasteriser (llvmpipe, lavapipe, SwiftShader ...): correct but slow. */
  readonly software: boolean;
}

/** Environment variable: the Dawn backend to use ('vulkan', 'opengles', 'opengl'), when the default order is wrong. */
export const DAWN_BACKEND_ENV = 'RESNET_TUTOR_DAWN_BACKEND';

export const WEBGPU_PACKAGES = ['webgpu', '@tensorflow/tfjs-backend-webgpu'] as const;
export const WEBGPU_INSTALL_FIX =
  'run `npm install webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0` in the resnet-tutor folder (both are optional dependencies, so a plain `npm install` normally brings them)';

const SOFTWARE_NAMES = /llvmpipe|lavapipe|softpipe|swiftshader|software ?rasteri[sz]er|microsoft basic render/i;

interface RawAdapterInfo {
  readonly vendor?: string;
  readonly architecture?: string;
  readonly device?: string;
  readonly description?: string;
  readonly isFallbackAdapter?: boolean;
}

/** Pure: the summary of an adapter's `info` as Dawn reports it. */
export function summarizeAdapter(info: RawAdapterInfo, dawnBackend: DawnBackend, isFallback = false): AdapterSummary {
  const text = `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.device ?? ''} ${info.description ?? ''}`;
  const fallback = info.isFallbackAdapter === true || isFallback;
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    dawnBackend,
    fallback,
    software: fallback || SOFTWARE_NAMES.test(text),
  };
}

const BACKEND_LABEL: Record<DawnBackend, string> = { vulkan: 'Vulkan', opengles: 'OpenGL ES', opengl: 'OpenGL' };

/** Pure: the device line, e.g. 'GPU (WebGPU on Vulkan: nvidia hopper, NVIDIA H200)'. */
export function adapterDeviceLine(a: AdapterSummary): string {
  const who = [a.vendor, a.architecture].filter((s) => s !== '').join(' ');
  const name = a.device || a.description || 'unknown adapter';
  const what = [who, name].filter((s) => s !== '').join(', ');
  if (a.software) {
    return `CPU (WebGPU software adapter on ${BACKEND_LABEL[a.dawnBackend]}: ${what}${a.description && a.description !== name ? `, ${a.description}` : ''}; slower than wasm)`;
  }
  return `GPU (WebGPU on ${BACKEND_LABEL[a.dawnBackend]}: ${what})`;
}

/** Pure: the Dawn backends to try. `allowSoftware` adds OpenGL ES (llvmpipe on a GPU-less machine). */
export function dawnOrder(env: Readonly<Record<string, string | undefined>>, allowSoftware: boolean): DawnBackend[] {
  const forced = env[DAWN_BACKEND_ENV]?.trim();
  if (forced === 'vulkan' || forced === 'opengles' || forced === 'opengl') return [forced];
  return allowSoftware ? ['vulkan', 'opengles'] : ['vulkan'];
}

// ---------------------------------------------------------------------------------------------
// Loading (impure)

interface DawnModule {
  create(options: string[]): DawnGpu;
  globals: Record<string, unknown>;
}
interface DawnGpu {
  requestAdapter(options?: Record<string, unknown>): Promise<DawnAdapter | null>;
  readonly wgslLanguageFeatures?: unknown;
}
interface DawnAdapter {
  readonly info?: RawAdapterInfo;
  readonly isFallbackAdapter?: boolean;
}

export interface WebGpuAttempt {
  readonly dawnBackend: DawnBackend;
  /** Why this Dawn backend gave no adapter (or an unwanted one). */
  readonly problem: string;
}

export interface WebGpuOpened {
  readonly adapter: AdapterSummary;
  /** Dawn backends tried before this one, and why each gave nothing. */
  readonly tried: readonly WebGpuAttempt[];
}

const require = createRequire(import.meta.url);

/** The live Dawn instance and adapter (process-wide per thread); `releaseWebGpu` drops them. */
let live: { gpu: DawnGpu; adapter: DawnAdapter } | null = null;

/** Can the dynamic loader open this library (LD_LIBRARY_PATH, the ld cache)? */
export function canOpenLibrary(soname: string): boolean {
  try {
    // process.dlopen opens it with the real loader, then fails for lack of a Node module and closes it.
    process.dlopen({ exports: {} } as unknown as NodeJS.Module, soname);
    return true;
  } catch (err) {
    return !/cannot open shared object file|No such file/i.test(String((err as Error).message));
  }
}

function loadDawn(): DawnModule {
  return require('webgpu') as DawnModule;
}

/**
 * Creates a Dawn instance and an adapter, trying the Dawn backends in order. A software adapter is
 * accepted only when `allowSoftware`. Throws an Error whose message says why nothing was found.
 */
export async function openAdapter(
  allowSoftware: boolean,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<WebGpuOpened> {
  if (live) {
    const adapter = summarizeAdapter(live.adapter.info ?? {}, currentBackend, live.adapter.isFallbackAdapter === true);
    if (adapter.software && !allowSoftware) throw new Error(softwareRejected(adapter));
    return { adapter, tried: [] };
  }
  const dawn = loadDawn();
  Object.assign(globalThis, dawn.globals);
  const tried: WebGpuAttempt[] = [];
  for (const backend of dawnOrder(env, allowSoftware)) {
    if (backend === 'vulkan' && !canOpenLibrary('libvulkan.so.1')) {
      // Checked first: Dawn would print its own warning about it to the terminal.
      tried.push({ dawnBackend: backend, problem: 'the Vulkan loader libvulkan.so.1 is not installed' });
      continue;
    }
    if (backend !== 'vulkan' && (env.EGL_PLATFORM ?? '') === '' && (env.DISPLAY ?? '') === '' && (env.WAYLAND_DISPLAY ?? '') === '') {
      tried.push({
        dawnBackend: backend,
        problem:
          'EGL_PLATFORM is not set in the environment and there is no display (run through the resnet-tutor command, which sets EGL_PLATFORM=surfaceless)',
      });
      continue;
    }
    const gpu = dawn.create([`backend=${backend}`]);
    const options = backend === 'vulkan' ? { powerPreference: 'high-performance' } : { featureLevel: 'compatibility' };
    let adapter: DawnAdapter | null = null;
    try {
      adapter = await gpu.requestAdapter(options);
    } catch (err) {
      tried.push({ dawnBackend: backend, problem: `requestAdapter failed: ${(err as Error).message.split('\n')[0]}` });
      continue;
    }
    if (!adapter) {
      tried.push({ dawnBackend: backend, problem: 'Dawn found no adapter' });
      continue;
    }
    const summary = summarizeAdapter(adapter.info ?? {}, backend, adapter.isFallbackAdapter === true);
    if (summary.software && !allowSoftware) {
      tried.push({ dawnBackend: backend, problem: softwareRejected(summary) });
      continue;
    }
    live = { gpu, adapter };
    currentBackend = backend;
    return { adapter: summary, tried };
  }
  throw new Error(tried.map((t) => `${t.dawnBackend}: ${t.problem}`).join('; ') || 'no Dawn backend to try');
}
let currentBackend: DawnBackend = 'vulkan';

function softwareRejected(a: AdapterSummary): string {
  return `only a software adapter (${a.device || a.description}), which is slower than wasm`;
}

interface NavigatorLike {
  gpu?: unknown;
}

/**
 * Puts a `navigator.gpu` in place that hands tfjs the adapter `openAdapter` chose, then imports
 * tfjs-backend-webgpu (which registers its backend only when navigator.gpu exists).
 */
export async function registerWebGpuBackend(): Promise<{ version: string | null }> {
  if (!live) throw new Error('openAdapter must succeed first');
  const { adapter, gpu } = live;
  const shim = {
    requestAdapter: () => Promise.resolve(adapter),
    getPreferredCanvasFormat: () => 'rgba8unorm',
    wgslLanguageFeatures: gpu.wgslLanguageFeatures,
  };
  const g = globalThis as { navigator?: NavigatorLike };
  if (g.navigator === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
  }
  // Node 21+ has a navigator without gpu; a data property shadows nothing there.
  Object.defineProperty(g.navigator, 'gpu', { value: shim, configurable: true, writable: true, enumerable: true });
  const mod = (await import('@tensorflow/tfjs-backend-webgpu')) as { version_webgpu?: string };
  return { version: mod.version_webgpu ?? null };
}

/**
 * Drops every reference to Dawn so that the process (or thread) can exit: the tfjs backend, the
 * navigator.gpu shim and the instance. `removeBackend` is tfjs's, passed in to keep this module free
 * of a tfjs import.
 */
export function releaseWebGpu(removeBackend?: (name: string) => void): void {
  try {
    removeBackend?.('webgpu');
  } catch {
    // Not registered: nothing to remove.
  }
  const g = globalThis as { navigator?: NavigatorLike };
  if (g.navigator && 'gpu' in g.navigator) {
    try {
      delete g.navigator.gpu;
    } catch {
      // A read-only property cannot hold Dawn's instance either.
    }
  }
  live = null;
}

/** Is a WebGPU adapter open in this thread? */
export function webGpuOpen(): boolean {
  return live !== null;
}
