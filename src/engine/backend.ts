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
import * as tf from '@tensorflow/tfjs-core';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { linkSharedTfjs, locateNative, nativeDir, type NativePackage } from '../platform/native-home.js';
import { UserError } from '../util/errors.js';
import {
  WEBGPU_INSTALL_FIX,
  WEBGPU_PACKAGES,
  adapterDeviceLine,
  canOpenLibrary,
  openAdapter,
  registerWebGpuBackend,
  releaseWebGpu,
  type AdapterSummary,
} from './backends/webgpu.js';
import { gatherVulkanFacts, webGpuAdvice } from './backends/webgpu-advice.js';

export type BackendName = 'node-gpu' | 'webgpu' | 'node' | 'wasm' | 'cpu';
export type BackendRequest = 'auto' | BackendName;
export const BACKEND_CHOICES: readonly BackendRequest[] = ['auto', 'node-gpu', 'webgpu', 'node', 'wasm', 'cpu'];
/** The order `auto` tries backends in: fastest first (webgpu only on a hardware adapter). */
export const AUTO_ORDER: readonly BackendName[] = ['node-gpu', 'webgpu', 'node', 'wasm', 'cpu'];

export interface BackendAttempt {
  readonly name: BackendName;
  readonly ok: boolean;
  readonly reason?: string;
  readonly fix?: string;
}

export interface BackendChoice {
  /** What was chosen. */
  readonly name: BackendName;
  /** `tf.getBackend()`. */
  readonly tfBackend: string;
  /** Which device really computes, e.g. 'GPU (NVIDIA H200)' or 'CPU (wasm, SIMD, 1 thread)'. */
  readonly device: string;
  readonly usingGpu: boolean;
  /** Every backend tried, in order, with why each one that was skipped failed. */
  readonly attempts: readonly BackendAttempt[];
  /** E.g. the GPU build's silent CPU fallback, PTX JIT on sm_89/sm_90, Node >= 23. */
  readonly warnings: readonly string[];
  /** tfjs-core, the backend package, node, libtensorflow where known. */
  readonly versions: Readonly<Record<string, string>>;
  /** The WebGPU adapter, on webgpu. */
  readonly adapter?: AdapterSummary;
  /** Reads must be asynchronous (`await t.data()`): webgpu cannot read synchronously in Node. */
  readonly asyncReads: boolean;
}

export interface InitOptions {
  /**
   * Called (rarely) before a step that may take long, e.g. loading the GPU build on a GPU whose
   * kernels CUDA must JIT-compile first. Lets a UI say "this may take minutes" instead of looking
   * hung. Never called for the fast paths.
   */
  readonly onStatus?: (message: string) => void;
  /**
   * The work has convolutions: on wasm, worth the multi-threaded build (see wasm-threads.ts). A
   * thread keeps the wasm build it started first, so its first request decides.
   */
  readonly convolutional?: boolean;
  /**
   * WebGPU may use a software adapter (llvmpipe): only when webgpu is asked for by name (tests, CI,
   * doctor). `auto` never takes one, as it is slower than wasm.
   */
  readonly allowSoftwareAdapter?: boolean;
}

/** What one try of one backend found. Never throws. */
export interface BackendTrial {
  readonly attempt: BackendAttempt;
  /**
   * Present when the backend's code is loaded and it is now tfjs's active backend. Note that it can
   * be present with `attempt.ok === false`: the GPU build loaded but computes on the CPU.
   */
  readonly loaded?: {
    readonly tfBackend: string;
    readonly device: string;
    readonly usingGpu: boolean;
    readonly warnings: readonly string[];
    readonly versions: Readonly<Record<string, string>>;
    readonly adapter?: AdapterSummary;
  };
}

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

export const GPU_CPU_FALLBACK_REASON =
  'loaded, but computes on the CPU: no usable GPU/CUDA 11 found (CUDA 12 alone is not enough for libtensorflow 2.9.1)';

const NODE_FIX =
  'use the WebGPU route instead (`--backend webgpu`, any Node version; it needs a Vulkan driver, not CUDA), or Node 20 or 22 for the TensorFlow native backends (e.g. `nvm install 22 && nvm use 22`)';

/** A cache size big enough that the kernels CUDA JIT-compiles from PTX stay cached between runs. */
export const CUDA_CACHE_SIZE = '4294967296';

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

// ---------------------------------------------------------------------------------------------
// GPU probing (nvidia-smi, /proc). Parsers are pure; the runner is injectable.

export interface GpuInfo {
  readonly name: string;
  readonly memoryTotalMiB?: number;
  readonly memoryUsedMiB?: number;
  readonly utilizationPercent?: number;
  /** e.g. '9.0' */
  readonly computeCapability?: string;
  readonly driverVersion?: string;
}

export interface GpuQuery {
  /** Where the GPUs were seen. */
  readonly source: 'nvidia-smi' | '/proc/driver/nvidia' | 'none';
  readonly gpus: readonly GpuInfo[];
  readonly driverVersion?: string;
  /** The raw text the GPUs were parsed from. */
  readonly raw?: string;
}

/** Runs a program; resolves to its stdout, or null if it is absent, fails or times out. */
export type CommandRunner = (file: string, args: readonly string[], timeoutMs: number) => Promise<string | null>;

export const runCommand: CommandRunner = (file, args, timeoutMs) =>
  new Promise((resolve) => {
    try {
      execFile(file, [...args], { timeout: timeoutMs, encoding: 'utf8', maxBuffer: 4 << 20 }, (err, stdout) => {
        resolve(err ? null : stdout);
      });
    } catch {
      resolve(null);
    }
  });

export interface FileReader {
  readFile(path: string): string | null;
  listDir(path: string): string[] | null;
}

export const realFiles: FileReader = {
  readFile(path) {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return null;
    }
  },
  listDir(path) {
    try {
      return readdirSync(path);
    } catch {
      return null;
    }
  },
};

export const NVIDIA_SMI_FIELDS = ['name', 'memory.total', 'utilization.gpu', 'memory.used', 'compute_cap', 'driver_version'];
const NVIDIA_SMI_FIELDS_OLD = ['name', 'memory.total', 'utilization.gpu', 'memory.used', 'driver_version'];

function numberOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /-?\d+(?:\.\d+)?/.exec(value);
  return m ? Number(m[0]) : undefined;
}

function present(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  return v === '' || /^\[.*\]$/.test(v) || v === 'N/A' ? undefined : v;
}

/** Parses `nvidia-smi --query-gpu=<fields> --format=csv,noheader` output. */
export function parseNvidiaSmiCsv(text: string, fields: readonly string[] = NVIDIA_SMI_FIELDS): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const cells = line.split(',').map((c) => c.trim());
    const get = (field: string): string | undefined => {
      const i = fields.indexOf(field);
      return i < 0 ? undefined : present(cells[i]);
    };
    const name = get('name');
    if (!name) continue;
    gpus.push({
      name,
      memoryTotalMiB: numberOf(get('memory.total')),
      memoryUsedMiB: numberOf(get('memory.used')),
      utilizationPercent: numberOf(get('utilization.gpu')),
      computeCapability: get('compute_cap'),
      driverVersion: get('driver_version'),
    });
  }
  return gpus;
}

/** Parses one /proc/driver/nvidia/gpus/<bus>/information file (its `Model:` line). */
export function parseProcGpuInformation(text: string): GpuInfo | null {
  const name = /^Model:\s*(.+)$/m.exec(text)?.[1]?.trim();
  return name ? { name } : null;
}

/** Parses /proc/driver/nvidia/version ("NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15 ..."). */
export function parseProcDriverVersion(text: string): string | undefined {
  return /Kernel Module\s+(?:for \S+\s+)?(\d+(?:\.\d+)+)/.exec(text)?.[1];
}

/** Which GPU the first CUDA device is, honouring a numeric CUDA_VISIBLE_DEVICES. */
export function firstVisibleGpu(gpus: readonly GpuInfo[], cudaVisibleDevices?: string): GpuInfo | undefined {
  if (cudaVisibleDevices !== undefined && cudaVisibleDevices.trim() !== '') {
    const first = cudaVisibleDevices.split(',')[0]!.trim();
    if (/^\d+$/.test(first)) return gpus[Number(first)] ?? gpus[0];
  }
  return gpus[0];
}

/** Asks nvidia-smi (2 s timeout), then /proc/driver/nvidia, which GPUs this machine has. */
export async function queryGpus(run: CommandRunner = runCommand, files: FileReader = realFiles): Promise<GpuQuery> {
  const procVersion = files.readFile('/proc/driver/nvidia/version');
  const procDriver = procVersion ? parseProcDriverVersion(procVersion) : undefined;
  for (const fields of [NVIDIA_SMI_FIELDS, NVIDIA_SMI_FIELDS_OLD]) {
    const out = await run('nvidia-smi', [`--query-gpu=${fields.join(',')}`, '--format=csv,noheader'], 2000);
    if (out === null) continue;
    const gpus = parseNvidiaSmiCsv(out, fields);
    if (gpus.length > 0) {
      return { source: 'nvidia-smi', gpus, driverVersion: gpus[0]!.driverVersion ?? procDriver, raw: out.trim() };
    }
  }
  const dirs = files.listDir('/proc/driver/nvidia/gpus') ?? [];
  const gpus: GpuInfo[] = [];
  const raw: string[] = [];
  for (const dir of [...dirs].sort()) {
    const text = files.readFile(`/proc/driver/nvidia/gpus/${dir}/information`);
    const gpu = text ? parseProcGpuInformation(text) : null;
    if (gpu) {
      gpus.push(procDriver ? { ...gpu, driverVersion: procDriver } : gpu);
      raw.push(text!.trim());
    }
  }
  if (gpus.length > 0 || procVersion) {
    return {
      source: '/proc/driver/nvidia',
      gpus,
      driverVersion: procDriver,
      raw: [procVersion?.trim(), ...raw].filter(Boolean).join('\n'),
    };
  }
  return { source: 'none', gpus: [] };
}

// ---------------------------------------------------------------------------------------------
// Loading backends

const require = createRequire(import.meta.url);

/** Can this package be found from here? */
export function isResolvable(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

/** The version in the package's package.json, or null when it is not installed. */
export function packageVersion(pkg: string): string | null {
  try {
    const json = require(`${pkg}/package.json`) as { version?: unknown };
    return typeof json.version === 'string' ? json.version : null;
  } catch {
    // The TensorFlow native builds may live in the per-user folder (`resnet-tutor gpu setup`).
    if (pkg !== BACKEND_PACKAGES['node-gpu'] && pkg !== BACKEND_PACKAGES.node) return null;
    const location = locateNative(pkg as NativePackage);
    if (!location) return null;
    try {
      const json = JSON.parse(readFileSync(`${location.root}/package.json`, 'utf8')) as { version?: unknown };
      return typeof json.version === 'string' ? json.version : null;
    } catch {
      return null;
    }
  }
}

/** The native build loaded into this process, if any (it can never be unloaded). */
let nativeLoaded: 'node-gpu' | 'node' | null = null;

function setEnvDefault(key: string, value: string): void {
  if (process.env[key] === undefined || process.env[key] === '') process.env[key] = value;
}

function silenceTfjs(): void {
  // Silences tfjs's console warnings, among them the cpu backend's "Hi, looks like you are running
  // TensorFlow.js in Node.js" banner and "backend was already registered".
  tf.env().set('PROD', true);
}

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}

async function tryNative(name: 'node-gpu' | 'node', options: InitOptions): Promise<BackendTrial> {
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

/**
 * Starts the multi-threaded wasm build when more than one thread is wanted (see wasm-threads.ts).
 * Returns false, with the stock single-threaded factory back in place, when it is not wanted or does
 * not start (a failure to start is also a warning: training is then slower than it could be), and
 * when a wasm build already runs.
 */
async function startThreadedWasm(convolutional: boolean, warnings: string[]): Promise<boolean> {
  // A wasm build (stock or threaded) already runs in this thread: it is kept, as replacing it would
  // drop its tensors, and the caller's plain `setBackend` selects it.
  if (tf.findBackend('wasm') != null) return false;
  const { registerThreadedWasm, wasmThreadCount, WASM_THREADS_ENV } = await import('./wasm-threads.js');
  const { threads, problem } = wasmThreadCount(convolutional);
  if (problem) warnings.push(problem);
  if (threads <= 1) return false;
  const attempt = registerThreadedWasm(threads);
  let thrown: unknown;
  try {
    if (await tf.setBackend('wasm')) return true;
  } catch (err) {
    thrown = err;
  }
  const why = attempt.failure() ?? thrown;
  warnings.push(
    `The multi-threaded wasm build did not start${why === undefined ? '' : ` (${errorText(why)})`}; using one thread (set ${WASM_THREADS_ENV}=1 to skip trying).`,
  );
  attempt.restore();
  return false;
}

async function tryWasm(options: InitOptions): Promise<BackendTrial> {
  const name = 'wasm';
  silenceTfjs();
  let wasm: { getThreadsCount?: () => number; version_wasm?: string };
  try {
    wasm = (await import('@tensorflow/tfjs-backend-wasm')) as typeof wasm;
  } catch (err) {
    const installed = isResolvable(BACKEND_PACKAGES.wasm);
    return {
      attempt: {
        name,
        ok: false,
        reason: installed ? `failed to load: ${errorText(err)}` : 'not installed',
        fix: INSTALL_FIX.wasm,
      },
    };
  }
  const warnings: string[] = [];
  let ok = await startThreadedWasm(options.convolutional === true, warnings);
  if (!ok) {
    try {
      ok = await tf.setBackend('wasm');
    } catch {
      ok = false;
    }
  }
  if (!ok) {
    // tfjs swallows the init error (its warning is silenced); run the factory once more to learn it.
    let why = 'the WebAssembly module did not initialise';
    try {
      await tf.findBackendFactory('wasm')?.();
    } catch (err) {
      why = `the WebAssembly module did not initialise: ${errorText(err)}`;
    }
    return { attempt: { name, ok: false, reason: why, fix: `${INSTALL_FIX.wasm}, or use \`--backend cpu\`` } };
  }
  try {
    // Replaces wasm's missing/slow convolution gradient kernels (see DESIGN.md). It is idempotent.
    const { registerFastWasmConvGradients } = await import('./wasm-kernels.js');
    registerFastWasmConvGradients();
    // Same idea for the matmul gradients (transposed operands take a slow path on wasm).
    const { registerFastWasmMatMul } = await import('./wasm-matmul.js');
    registerFastWasmMatMul();
  } catch (err) {
    warnings.push(`The fast wasm convolution gradients could not be registered (${errorText(err)}); CNN training on wasm will be slow.`);
  }
  let simd = false;
  try {
    simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  } catch {
    simd = false;
  }
  let threads = 1;
  try {
    threads = wasm.getThreadsCount?.() ?? 1;
  } catch {
    threads = 1;
  }
  const versions: Record<string, string> = { 'tfjs-core': tf.version_core, node: process.versions.node };
  const v = wasm.version_wasm ?? packageVersion(BACKEND_PACKAGES.wasm);
  if (v) versions['tfjs-backend-wasm'] = v;
  return {
    attempt: { name, ok: true },
    loaded: {
      tfBackend: tf.getBackend(),
      device: `CPU (wasm, ${simd ? 'SIMD' : 'no SIMD'}, ${threads} thread${threads === 1 ? '' : 's'})`,
      usingGpu: false,
      warnings,
      versions,
    },
  };
}

async function tryCpu(): Promise<BackendTrial> {
  const name = 'cpu';
  silenceTfjs();
  let cpu: { version_cpu?: string };
  try {
    cpu = (await import('@tensorflow/tfjs-backend-cpu')) as typeof cpu;
    if (!(await tf.setBackend('cpu'))) throw new Error("the 'cpu' backend did not initialise");
    // tfjs-backend-cpu 4.22's ResizeNearestNeighborGrad is wrong for batch > 1 (see cpu-kernels.ts).
    const { registerCpuKernelFixes } = await import('./cpu-kernels.js');
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

async function tryWebGpu(options: InitOptions): Promise<BackendTrial> {
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
