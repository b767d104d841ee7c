/**
 * Loads tfjs's multi-threaded WebAssembly build in Node.
 *
 * `@tensorflow/tfjs-backend-wasm` ships a threaded SIMD binary (XNNPACK on a pthread pool) but
 * never uses it in Node: its feature check returns false there (tensorflow/tfjs#3830), because its
 * loader hands the browser-only `Blob` URLs to the Emscripten pthread workers. The binary itself
 * works in Node when the workers get source text instead: the Emscripten glue and the worker script
 * are in the package's `wasm-out/` folder (the worker script as a string). Both are read once and
 * run from memory, here and in every pthread; nothing is written to or run from a cache folder,
 * where another local user could swap the code between a check and its use.
 *
 * Measured on the 2-core reference machine: 2 threads make a 3x3 16-channel conv at batch 32 about
 * 1.6x faster and a 512x512 matmul about 1.8x faster than the single-threaded build.
 *
 * On any failure the caller keeps the stock single-threaded build; nothing here prints.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { compileFunction } from 'node:vm';
import { injectedFault } from '../util/faults.js';

const require = createRequire(import.meta.url);

/** Environment variable that sets the wasm thread count (1 = the stock single-threaded build). */
export const WASM_THREADS_ENV = 'RESNET_TUTOR_WASM_THREADS';

/** tfjs's wasm build caps its thread pool at 4 threads. */
const MAX_THREADS = 4;

/**
 * The thread count to use: `RESNET_TUTOR_WASM_THREADS` when it is a whole number from 1 to 4;
 * otherwise, for convolutional nets, the cores this process may use (at most 4), and for MLPs one.
 * Measured on the 2-core reference machine: 2 threads train ResNet-20 about 1.3x faster, but an MLP's
 * small matmuls no faster, at twice the CPU time (the idle thread spins between ops), which other
 * users of a shared box then lack.
 * Returns the problem as text when the variable is malformed.
 */
export function wasmThreadCount(
  convolutional: boolean,
  env: NodeJS.ProcessEnv = process.env,
  cores = availableParallelism(),
): { threads: number; problem?: string } {
  const fallback = convolutional ? Math.max(1, Math.min(MAX_THREADS, cores)) : 1;
  const raw = env[WASM_THREADS_ENV];
  if (raw === undefined || raw.trim() === '') return { threads: fallback };
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    return {
      threads: fallback,
      problem: `${WASM_THREADS_ENV}='${raw}' is not a whole number from 1 to ${MAX_THREADS} (tfjs's wasm thread pool holds at most ${MAX_THREADS}); using ${fallback} thread${fallback === 1 ? '' : 's'}.`,
    };
  }
  return { threads: n };
}

/** The Emscripten module with the `tfjs` helper object that `BackendWasm` expects. */
interface WasmModule {
  cwrap(name: string, ret: string | null, args: string[]): (...args: number[]) => number;
  tfjs?: Record<string, (...args: number[]) => number>;
  /** Emscripten's pthread bookkeeping: Node `Worker`s. */
  PThread?: { runningWorkers: { unref(): void }[]; unusedWorkers: { unref(): void }[] };
}

type ModuleFactory = (config: Record<string, unknown>) => Promise<WasmModule>;

interface WasmPackage {
  BackendWasm: new (module: WasmModule) => tf.KernelBackend;
}

const GLUE = 'tfjs-backend-wasm-threaded-simd.js';

/** The package folder with the Emscripten builds (`wasm-out/`). */
export function wasmOutDir(): string {
  return dirname(require.resolve(`@tensorflow/tfjs-backend-wasm/wasm-out/${GLUE}`));
}

/**
 * Runs `f` while `os.cpus()` reports `count` cores. The glue sizes XNNPACK's thread pool when it
 * loads (a static constructor), from the logical core count halved (it assumes two hyperthreads per
 * core), capped at 4; `setThreadsCount` changes nothing in this build. Reporting twice the wanted
 * count is the one way to choose it. `os` is per thread in Node, so this is seen only by the engine
 * worker, and only while the glue loads.
 */
async function withLogicalCores<T>(count: number, f: () => Promise<T>): Promise<T> {
  const os = require('node:os') as { cpus: () => ReturnType<typeof import('node:os').cpus> };
  const real = os.cpus;
  os.cpus = () => {
    const cores = real();
    return Array.from({ length: count }, (_, i) => cores[i % cores.length]!);
  };
  try {
    return await f();
  } finally {
    os.cpus = real;
  }
}

/**
 * The pthread worker script, which the package ships only as a string, made to take the glue from
 * `glue` (the very text the main thread verified and evaluated) instead of re-reading a file by path:
 * each pthread evaluates exactly those bytes, and nothing is written to disk for anyone to swap.
 */
export function workerScript(outDir: string, glue: string): string {
  const { wasmWorkerContents } = require(join(outDir, 'tfjs-backend-wasm-threaded-simd.worker.js')) as {
    wasmWorkerContents: string;
  };
  // The script is stored in a template literal, which turned its "\n" escapes into real newlines
  // inside string literals; tfjs's own loader escapes them back the same way.
  const script = wasmWorkerContents.replace(/\n/g, '\\n');
  return replaceOnce(script, WORKER_IMPORT, `importScripts:function(f){(0,eval)(${JSON.stringify(glue)}+"//# sourceURL="+f)}`);
}

/** How the worker script loads the glue in Node: by reading a path. */
const WORKER_IMPORT = 'importScripts:function(f){(0,eval)(fs.readFileSync(f,"utf8")+"//# sourceURL="+f)}';
/** How the glue starts a pthread worker: from a path. Patched to take the script's source. */
const GLUE_NEW_WORKER = 'worker=new Worker(pthreadMainJs)';

/** `text` with its one occurrence of `from` replaced; throws when the installed tfjs is written differently. */
function replaceOnce(text: string, from: string, to: string): string {
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) {
    throw new Error(`this tfjs-backend-wasm's thread loader is not the one resnet-tutor knows (no single "${from}")`);
  }
  return text.slice(0, at) + to + text.slice(at + from.length);
}

/**
 * Evaluates CommonJS `source` in this thread as if it were the module at `filename` (its `require`
 * and `__filename` resolve from there), from the string in memory: no file is opened after the
 * caller read the text.
 */
function evaluateCommonJs(source: string, filename: string): unknown {
  const module = { exports: {} as unknown };
  const run = compileFunction(source, ['exports', 'require', 'module', '__filename', '__dirname'], { filename });
  run(module.exports, createRequire(filename), module, filename, dirname(filename));
  return module.exports;
}

/** Emscripten's glue starts this many pthread workers up front (a V8 isolate, ~12 MB, each). */
const GLUE_POOL = 'var pthreadPoolSize=8;';

/**
 * The Emscripten glue with its pthread pool sized to `threads` instead of 8: XNNPACK's pool uses
 * `threads - 1` workers (the calling thread is the other), and a worker must exist before a thread
 * starts, since the engine thread blocks while it waits. With 2 threads this saves ~100 MB.
 * Unchanged (8 workers) if this tfjs version's glue is written differently. Its pthread workers are
 * started from source (`eval: true`, the script `locateFile` returns), never from a file path.
 */
export function glueScript(outDir: string, threads: number): string {
  const glue = replaceOnce(readFileSync(join(outDir, GLUE), 'utf8'), GLUE_NEW_WORKER, 'worker=new Worker(pthreadMainJs,{eval:true})');
  return glue.includes(GLUE_POOL) ? glue.replace(GLUE_POOL, `var pthreadPoolSize=${threads};`) : glue;
}

/**
 * Replaces the registered 'wasm' backend factory with one that starts the threaded build with
 * `threads` threads. Kernels stay registered under the name 'wasm', so every kernel (ours included)
 * runs unchanged. Returns `restore`, which puts the stock factory back for when starting fails, and
 * `failure`, the error the factory threw (tfjs's `setBackend` only answers false).
 */
export function registerThreadedWasm(threads: number): { restore: () => void; failure: () => unknown } {
  const pkg = require('@tensorflow/tfjs-backend-wasm') as WasmPackage;
  const outDir = wasmOutDir();
  const stock = tf.findBackendFactory('wasm');
  let failure: unknown;
  const start = async (): Promise<tf.KernelBackend> => {
    const fault = injectedFault('no-wasm-threads');
    if (fault) throw fault;
    // Read once from the package, evaluated from memory here and in every pthread: no cache file,
    // so no check-then-open gap for another user to swap code into.
    const gluePath = join(outDir, GLUE);
    const glueSource = glueScript(outDir, threads);
    const workerSource = workerScript(outDir, glueSource);
    const glue = evaluateCommonJs(glueSource, gluePath) as ModuleFactory;
    const module = await withLogicalCores(2 * threads, () =>
      glue({
        // The pthread worker's source (started with eval: true); the .wasm binary from the package.
        locateFile: (path: string) => (path.endsWith('.worker.js') ? workerSource : join(outDir, path)),
        // Sent to each pthread, which ignores it: its importScripts evaluates the embedded glue.
        mainScriptUrlOrBlob: gluePath,
      }),
    );
    module.tfjs = {
      init: module.cwrap('init', null, []),
      initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
      getThreadsCount: module.cwrap('get_threads_count', 'number', []),
      registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
      disposeData: module.cwrap('dispose_data', null, ['number']),
      dispose: module.cwrap('dispose', null, []),
    };
    const backend = new pkg.BackendWasm(module);
    // The pool's threads wait for work forever; like the stock build, they must not keep the
    // process (or the engine worker) alive once everything else is done.
    for (const w of [...(module.PThread?.runningWorkers ?? []), ...(module.PThread?.unusedWorkers ?? [])]) w.unref();
    return backend;
  };
  const factory = async (): Promise<tf.KernelBackend> => {
    try {
      return await start();
    } catch (err) {
      failure = err;
      throw err;
    }
  };
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', factory, 2);
  return {
    restore: () => {
      tf.removeBackend('wasm');
      if (stock) tf.registerBackend('wasm', stock, 2);
    },
    failure: () => failure,
  };
}
