/**
 * The work of `npm run gpu:check`, in the child process that gpu-check.ts starts with the GPU
 * environment in place (EGL_PLATFORM, the CUDA 11 library path). It writes the report file after
 * every section, so a check that is stopped (its time budget, a hang while CUDA compiles PTX) still
 * leaves what it measured. Reads are asynchronous throughout: webgpu cannot read synchronously.
 */
import { renameSync, writeFileSync } from 'node:fs';
import * as tf from '../src/engine/tf.js';
import { tryBackend } from '../src/engine/backend.js';
import { type BackendName, type BackendTrial } from '../src/engine/backends/types.js';
import { releaseWebGpu } from '../src/engine/backends/webgpu.js';
import { resolveConfig, type TrainConfig } from '../src/contracts/train-config.js';
import { diagnose } from '../src/engine/doctor.js';
import { PARITY_FAMILIES, backendParity } from '../src/engine/parity.js';
import { Trainer } from '../src/engine/trainer.js';
import { CIFAR_CLASSES, learnableCifar } from './learnable-cifar.js';
import {
  GPU_ROUTES,
  WARMUP_STEPS,
  type GpuRoute,
  finishReport,
  judgeLossFall,
  type GpuCheckReport,
  type Section,
  type ThroughputRoute,
} from './gpu-check-report.js';

/** The tfjs backend name behind each route. */
const TF_NAME: Record<ThroughputRoute, string> = { webgpu: 'webgpu', 'node-gpu': 'tensorflow', wasm: 'wasm' };

function resnetConfig(report: GpuCheckReport): TrainConfig {
  const o = report.options;
  return resolveConfig({
    net: 'cnn',
    arch: 'residual-bn',
    depth: o.depth,
    width: o.width,
    batchSize: o.batchSize,
    steps: 1_000_000,
    logEvery: 1_000_000,
    lr: o.lr,
  });
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const firstLine = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

export async function runChecks(report: GpuCheckReport, log: (line: string) => void): Promise<GpuCheckReport> {
  const save = (): void => {
    const tmp = `${report.options.out}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(report, null, 2)}\n`);
    renameSync(tmp, report.options.out);
  };
  /** Runs one section: its result replaces the pending entry; a throw is a failure with its message. */
  const section = async (name: string, set: (s: Section) => void, body: () => Promise<Section>): Promise<Section> => {
    report.current = name;
    save();
    log(`gpu:check: ${name} ...`);
    const start = performance.now();
    let s: Section;
    try {
      s = await body();
    } catch (err) {
      s = { status: 'failed', reason: firstLine(err) };
    }
    s.seconds = Number(((performance.now() - start) / 1000).toFixed(2));
    set(s);
    save();
    log(`gpu:check: ${name}: ${s.status}${s.reason ? ` (${s.reason})` : ''}`);
    return s;
  };
  const o = report.options;

  // Doctor first, without the TensorFlow native builds: their first load on an Ampere/Hopper GPU can
  // spend many minutes compiling PTX, so node-gpu comes last (its own sections say what it does), and
  // a check stopped at its budget has measured everything else by then.
  const deferred = (name: BackendName): BackendTrial => ({
    attempt: { name, ok: false, reason: 'not loaded by the doctor pass of gpu:check: see routes.node-gpu' },
  });
  await section(
    'doctor',
    (s) => (report.doctor = s),
    async () => {
      const d = await diagnose(
        { tryBackend: (name, opts) => (name === 'node-gpu' || name === 'node' ? Promise.resolve(deferred(name)) : tryBackend(name, opts)) },
        { onStatus: log },
      );
      return { status: 'ok', nativeBuildsDeferred: true, report: d };
    },
  );

  const wasm = await tryBackend('wasm', { convolutional: true });
  const cpu = await tryBackend('cpu');
  const available: Partial<Record<ThroughputRoute, BackendTrial>> = {};
  if (wasm.attempt.ok) available.wasm = wasm;
  const use = async (name: string): Promise<void> => {
    if (!(await tf.setBackend(name))) throw new Error(`backend ${name} did not start`);
  };
  const families = o.parityFamilies === null ? PARITY_FAMILIES : PARITY_FAMILIES.slice(0, o.parityFamilies);
  const config = resnetConfig(report);
  const data = learnableCifar(Math.max(256, 4 * o.batchSize));
  const model = `ResNet-${o.depth} (cnn residual-bn, width ${o.width}), batch ${o.batchSize}, 32x32x3`;
  const speed: Partial<Record<ThroughputRoute, number>> = {};

  const routeSection = (route: GpuRoute) =>
    section(
      `routes.${route}`,
      (s) => (report.routes[route] = s),
      async () => {
        const t = await tryBackend(route as BackendName, {
          allowSoftwareAdapter: o.allowSoftware,
          convolutional: true,
          onStatus: log,
        });
        const info = {
          device: t.loaded?.device ?? null,
          usingGpu: t.loaded?.usingGpu ?? false,
          adapter: t.loaded?.adapter ?? null,
          versions: t.loaded?.versions ?? null,
          warnings: t.loaded?.warnings ?? [],
        };
        if (!t.attempt.ok || !t.loaded) {
          return { status: 'skipped', reason: `${t.attempt.reason ?? 'does not load'}; fix: ${t.attempt.fix ?? '-'}`, ...info };
        }
        const software = t.loaded.adapter?.software === true;
        if (!t.loaded.usingGpu && !(software && o.allowSoftware)) {
          return { status: 'skipped', reason: `computes on the CPU (${t.loaded.device})`, ...info };
        }
        available[route] = t;
        return { status: 'ok', software, ...info };
      },
    );

  const paritySection = (route: GpuRoute) =>
    section(
      `parity.${route}`,
      (s) => (report.parity[route] = s),
      async () => {
        if (!available[route]) return { status: 'skipped', reason: `no ${route} route here (see routes.${route})` };
        if (!cpu.attempt.ok) return { status: 'skipped', reason: `the cpu reference backend does not load: ${cpu.attempt.reason}` };
        if (families.length === 0) return { status: 'skipped', reason: '--parity-families 0' };
        const results = await backendParity(TF_NAME[route], { use, batchSize: 2 }, families);
        const failed = results.filter((r) => r.verdict === 'fail');
        return {
          status: failed.length ? 'failed' : 'ok',
          ...(failed.length ? { reason: `gradients differ from cpu's: ${failed.map((r) => r.family).join(', ')}` } : {}),
          families: results.map((r) => ({
            family: r.family,
            verdict: r.verdict,
            worstRelativeError: r.worst,
            lossRelativeError: r.lossError,
            notOk: r.tensors.filter((t) => t.verdict !== 'ok'),
          })),
        };
      },
    );

  const throughputSection = (route: ThroughputRoute) =>
    section(
      `throughput.${route}`,
      (s) => (report.throughput[route] = s),
      async () => {
        const t = available[route];
        if (!t) {
          const why = route === 'wasm' ? (wasm.attempt.reason ?? 'does not load') : `no ${route} route here (see routes.${route})`;
          return { status: 'skipped', reason: why };
        }
        await use(TF_NAME[route]);
        const trainer = new Trainer(config, data);
        try {
          for (let i = 0; i < WARMUP_STEPS; i++) await trainer.trainStepAsync();
          const times: number[] = [];
          const before = tf.memory().numTensors;
          for (let i = 0; i < o.steps; i++) {
            const start = performance.now();
            await trainer.trainStepAsync();
            times.push(performance.now() - start);
          }
          const ms = median(times);
          speed[route] = (1000 * o.batchSize) / ms;
          return {
            status: 'ok',
            device: t.loaded?.device ?? null,
            model,
            samplesPerSecond: Number(speed[route].toFixed(2)),
            msPerStepMedian: Number(ms.toFixed(2)),
            msPerStep: times.map((x) => Number(x.toFixed(2))),
            warmupSteps: WARMUP_STEPS,
            tensorsPerStep: (tf.memory().numTensors - before) / o.steps,
          };
        } finally {
          trainer.dispose();
        }
      },
    );

  await routeSection('webgpu');
  await paritySection('webgpu');
  await throughputSection('webgpu');
  await throughputSection('wasm');
  await routeSection('node-gpu');
  await paritySection('node-gpu');
  await throughputSection('node-gpu');

  await section(
    'training',
    (s) => (report.training = s),
    async () => {
      const gpuSpeeds = GPU_ROUTES.filter((r) => speed[r] !== undefined).sort((a, b) => speed[b]! - speed[a]!);
      const route: ThroughputRoute | undefined = o.trainBackend ?? gpuSpeeds[0] ?? (available.wasm ? 'wasm' : undefined);
      if (!route) return { status: 'skipped', reason: 'no route to train on (neither a GPU route nor wasm loads)' };
      if (!available[route]) return { status: 'skipped', reason: `--train-backend ${route} is not available here` };
      const why =
        o.trainBackend !== null
          ? `--train-backend ${route}`
          : gpuSpeeds.length
            ? `the fastest GPU route (ResNet samples/s: ${gpuSpeeds.map((r) => `${r} ${speed[r]!.toFixed(1)}`).join(', ')})`
            : 'no GPU route here: wasm';
      await use(TF_NAME[route]);
      const trainer = new Trainer(config, data);
      const losses: number[] = [];
      const start = performance.now();
      let diverged: string | null = null;
      try {
        while ((performance.now() - start) / 1000 < o.trainSeconds && losses.length < (o.trainSteps ?? Infinity)) {
          const outcome = await trainer.trainStepAsync();
          losses.push(outcome.loss);
          if (outcome.diverged) {
            diverged = `diverged at step ${outcome.step}`;
            break;
          }
        }
      } finally {
        trainer.dispose();
      }
      const seconds = (performance.now() - start) / 1000;
      // Judged on the losses as the report stores them, so anyone can recompute the verdict.
      const stored = losses.map((l) => Number(l.toPrecision(6)));
      const { reason: notFell, ...fall } = judgeLossFall(stored);
      return {
        status: fall.lossFell && !diverged ? 'ok' : 'failed',
        ...(fall.lossFell && !diverged ? {} : { reason: diverged ?? notFell ?? 'the loss did not fall' }),
        backend: route,
        chosenBecause: why,
        device: available[route]?.loaded?.device ?? null,
        model,
        data: `${data.name}: ${data.train.n} examples, ${CIFAR_CLASSES} classes (class colour and texture + noise)`,
        trainSeconds: Number(seconds.toFixed(2)),
        samplesPerSecond: Number(((losses.length * o.batchSize) / seconds).toFixed(2)),
        ...fall,
        losses: stored,
      };
    },
  );
  releaseWebGpu((n) => tf.removeBackend(n));
  finishReport(report);
  save();
  return report;
}
