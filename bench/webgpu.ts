/**
 * The bench's webgpu section: training samples/s of a small CNN on webgpu, wasm and cpu, the webgpu
 * row marked as a software or hardware adapter. It runs in a child process (this file, run directly)
 * because Mesa reads EGL_PLATFORM only when it loads, from the process environment (see platform/gpu-env.ts),
 * and so that Dawn never shares the main bench process with the other backends.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const SMALL_CNN = { net: 'cnn', arch: 'residual-bn', depth: 8, width: 8, batchSize: 16 } as const;

export interface WebGpuBenchRow {
  readonly backend: 'webgpu' | 'wasm' | 'cpu';
  readonly device: string | null;
  /** webgpu only: 'software' (llvmpipe and the like) or 'hardware'. */
  readonly adapter?: 'software' | 'hardware';
  readonly samplesPerSecond: number | null;
  readonly msPerStep: number | null;
  readonly skipped?: string;
}

export interface WebGpuBench {
  readonly model: string;
  readonly rows: readonly WebGpuBenchRow[];
}

const MARK = 'WEBGPU-BENCH ';

/** Runs the section in a child process with the GPU environment; `{ error }` says why when it fails. */
export async function benchWebGpu(options: { quick: boolean }): Promise<WebGpuBench | { error: string }> {
  const { planGpuEnvironment } = await import('../src/platform/gpu-env.js');
  const { cudaDir, cudaLibraryDirs } = await import('../src/platform/native-home.js');
  const plan = planGpuEnvironment(['bench'], process.env, cudaLibraryDirs(cudaDir(process.env)));
  return new Promise((done) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), options.quick ? '--quick' : '--full'], {
      env: { ...process.env, ...plan.set },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(MARK));
      if (code === 0 && line) done(JSON.parse(line.slice(MARK.length)) as WebGpuBench);
      else done({ error: `the webgpu bench process ended with code ${String(code)}: ${err.trim().split('\n').pop() ?? ''}` });
    });
  });
}

async function measure(quick: boolean): Promise<WebGpuBench> {
  const tf = await import('../src/engine/tf.js');
  const { tryBackend } = await import('../src/engine/backend.js');
  const { releaseWebGpu } = await import('../src/engine/backends/webgpu.js');
  const { resolveConfig } = await import('../src/contracts/train-config.js');
  const { Trainer } = await import('../src/engine/trainer.js');
  const { learnableCifar } = await import('./learnable-cifar.js');
  tf.env().set('PROD', true);
  const config = resolveConfig({ ...SMALL_CNN, steps: 1_000_000, logEvery: 1_000_000 });
  const data = learnableCifar(128);
  const rows: WebGpuBenchRow[] = [];
  for (const backend of ['webgpu', 'wasm', 'cpu'] as const) {
    const t = await tryBackend(backend, { allowSoftwareAdapter: true, convolutional: true });
    const adapter = t.loaded?.adapter ? { adapter: t.loaded.adapter.software ? ('software' as const) : ('hardware' as const) } : {};
    if (!t.attempt.ok || !t.loaded) {
      rows.push({ backend, device: null, samplesPerSecond: null, msPerStep: null, skipped: t.attempt.reason ?? 'does not load' });
      continue;
    }
    // Every read asynchronous (webgpu cannot read synchronously); the same for all three rows.
    const trainer = new Trainer(config, data);
    try {
      // The pure-JS cpu backend takes about a minute per step here on a loaded 2-core machine: fewer steps.
      const [warmup, steps] = backend === 'cpu' ? [1, 2] : quick ? [2, 3] : [2, 8];
      for (let i = 0; i < warmup; i++) await trainer.trainStepAsync();
      const times: number[] = [];
      for (let i = 0; i < steps; i++) {
        const start = performance.now();
        await trainer.trainStepAsync();
        times.push(performance.now() - start);
      }
      const ms = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
      rows.push({ backend, device: t.loaded.device, ...adapter, samplesPerSecond: (1000 * config.batchSize) / ms, msPerStep: ms });
    } finally {
      trainer.dispose();
    }
  }
  releaseWebGpu((n) => tf.removeBackend(n));
  return { model: `cnn residual-bn depth ${SMALL_CNN.depth} width ${SMALL_CNN.width}, batch ${SMALL_CNN.batchSize}, 32x32x3`, rows };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  measure(process.argv.includes('--quick')).then(
    (r) => {
      process.stdout.write(`${MARK}${JSON.stringify(r)}\n`);
      // Explicit exit: Dawn's instance and the wasm thread pool would keep the process alive.
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
