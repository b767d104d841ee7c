/** The types shared by the backend loaders (backends/*-loader.ts) and the `auto` selection (backend.ts). */
import type { AdapterSummary } from './webgpu.js';

export type BackendName = 'node-gpu' | 'webgpu' | 'node' | 'wasm' | 'cpu';
export type BackendRequest = 'auto' | BackendName;

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
