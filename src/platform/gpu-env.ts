/**
 * The process environment the GPU routes need, set by the CLI's main thread before the engine
 * worker starts. Measured: a worker thread's `process.env` is a copy, so values set there never
 * reach the C environment that Mesa (EGL_PLATFORM), the CUDA driver (CUDA_CACHE_MAXSIZE) and
 * TensorFlow (TF_FORCE_GPU_ALLOW_GROWTH) read; and the dynamic loader reads LD_LIBRARY_PATH only at
 * process start, so the per-user CUDA 11.8 libraries (`resnet-tutor gpu setup`) need the CLI to
 * start itself once more with it. No tfjs import here.
 */
import { spawn } from 'node:child_process';
import { cudaDir, cudaLibraryDirs, type Env } from './native-home.js';

/** Set to 1 in the re-executed CLI, so it never re-executes twice. */
export const REEXEC_ENV = 'RESNET_TUTOR_GPU_REEXEC';

/** A compute cache big enough that the kernels CUDA JIT-compiles from PTX stay between runs (4 GiB). */
export const CUDA_CACHE_SIZE = '4294967296';

/** Defaults set when unset (a user's own value always wins). */
export const ENV_DEFAULTS: Readonly<Record<string, string>> = {
  // Dawn's OpenGL ES backend on Mesa without a display (the software adapter, and headless GL GPUs).
  EGL_PLATFORM: 'surfaceless',
  // TensorFlow otherwise takes all GPU memory; runs side by side need growth.
  TF_FORCE_GPU_ALLOW_GROWTH: 'true',
  // Keep PTX-compiled kernels (every GPU newer than Turing on libtensorflow 2.9.1) cached.
  CUDA_CACHE_MAXSIZE: CUDA_CACHE_SIZE,
  // TensorFlow's native logging writes to stderr behind Node's back, into the dashboard.
  TF_CPP_MIN_LOG_LEVEL: '2',
};

/** Commands that never start the engine: no re-exec for them. */
const NO_ENGINE = new Set(['completion', 'config', 'lessons', 'runs', 'report', 'watch', '--help', '-h', '--version', '-V']);

export interface EnvPlan {
  /** Variables to set in this process (inherited by the engine worker and any child). */
  readonly set: Readonly<Record<string, string>>;
  /** Start the CLI again with `set` applied, because LD_LIBRARY_PATH must change. */
  readonly reexec: boolean;
}

/** Pure: what to set, and whether to re-execute, for this command line and environment. */
export function planGpuEnvironment(args: readonly string[], env: Env, libraryDirs: readonly string[]): EnvPlan {
  const set: Record<string, string> = {};
  for (const [k, v] of Object.entries(ENV_DEFAULTS)) if ((env[k] ?? '') === '') set[k] = v;
  const command = args.find((a) => !a.startsWith('-')) ?? args[0] ?? '';
  const current = (env.LD_LIBRARY_PATH ?? '').split(':').filter((d) => d !== '');
  const missing = libraryDirs.filter((d) => !current.includes(d));
  const reexec = missing.length > 0 && env[REEXEC_ENV] !== '1' && !NO_ENGINE.has(command) && !args.some((a) => NO_ENGINE.has(a));
  if (reexec) {
    set.LD_LIBRARY_PATH = [...missing, ...current].join(':');
    set[REEXEC_ENV] = '1';
  }
  return { set, reexec };
}

/**
 * Applies the plan to this process; when it needs a re-exec, runs the same command line in a child
 * with the new environment and resolves to its exit code (null: no re-exec, carry on here).
 */
export async function prepareGpuEnvironment(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number | null> {
  const plan = planGpuEnvironment(args, env, cudaLibraryDirs(cudaDir(env)));
  if (!plan.reexec) {
    for (const [k, v] of Object.entries(plan.set)) env[k] = v;
    return null;
  }
  return reexec({ ...env, ...plan.set });
}

function reexec(env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env });
    // Ctrl-C reaches the child from the terminal itself; a signal sent to this process alone is passed on.
    const onInt = (): void => undefined;
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const handlers: [NodeJS.Signals, () => void][] = [
      ['SIGINT', onInt],
      ['SIGTERM', forward('SIGTERM')],
      ['SIGHUP', forward('SIGHUP')],
    ];
    for (const [s, h] of handlers) process.on(s, h);
    child.on('error', (err) => {
      process.stderr.write(`resnet-tutor: could not start itself with the CUDA library path: ${err.message}\n`);
      resolve(1);
    });
    child.on('exit', (code, signal) => {
      for (const [s, h] of handlers) process.off(s, h);
      // A child killed by a signal: exit as a shell would report it.
      resolve(code ?? 128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  });
}
