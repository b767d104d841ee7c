/**
 * `npm run bench`: the numbers the engine issue asks for, for every backend that loads here.
 * Prints a table and ratios, and writes bench/results/latest.json. Timings are medians over several
 * steps after warm-up; this is where speed is checked, never in unit tests (machines are noisy).
 *
 *   npm run bench                      all sections
 *   npm run bench -- --quick           fewer steps (a smoke run)
 *   npm run bench -- --backend wasm    one backend
 *   npm run bench -- --backend webgpu  only the webgpu section (a small CNN on webgpu, wasm and cpu)
 *   npm run bench -- lessons [N ...]   each lesson experiment's stated vs measured cost (lesson-costs.ts)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '../src/engine/tf.js';
import { initBackend, tryBackend } from '../src/engine/backend.js';
import { type BackendName } from '../src/engine/backends/types.js';
import { resolveConfig, type TrainConfig } from '../src/contracts/train-config.js';
import { loadDataset } from '../src/data/index.js';
import type { Dataset } from '../src/data/types.js';
import { Trainer } from '../src/engine/trainer.js';
import { benchDashboardOverhead } from './dashboard-overhead.js';
import { benchLessonCosts } from './lesson-costs.js';
import { benchStartup } from './startup.js';
import { benchWasmConv } from './wasm-conv.js';
import { benchWebGpu } from './webgpu.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.includes('--backend') ? (args[args.indexOf('--backend') + 1] as BackendName) : null;

interface TrainBench {
  readonly samplesPerSecond: number;
  readonly msPerStep: number;
  readonly tensorsPerStep: number;
}

/** Median step time of `steps` steps after `warmup`, with logging off (logEvery beyond the run). */
function timeSteps(config: TrainConfig, data: Dataset, warmup: number, steps: number): TrainBench {
  const t = new Trainer(config, data);
  try {
    for (let i = 0; i < warmup; i++) t.trainStep();
    const before = tf.memory().numTensors;
    const times: number[] = [];
    for (let i = 0; i < steps; i++) {
      const start = performance.now();
      t.trainStep();
      times.push(performance.now() - start);
    }
    const tensorsPerStep = (tf.memory().numTensors - before) / steps;
    const ms = median(times);
    return { samplesPerSecond: (1000 * config.batchSize) / ms, msPerStep: ms, tensorsPerStep };
  } finally {
    t.dispose();
  }
}

/**
 * Instrument overhead at the default log interval (10): the extra time of a logged step (per-unit
 * gradient norms and activation variances) over an unlogged one, spread over the interval, as a
 * ratio of step time: 1 + (median logged - median unlogged) / (10 x median unlogged). Both medians
 * come from the same run, interleaved, so load changes hit both alike; comparing the total time of
 * two runs instead swung by +-6% between runs on this 2-core machine, more than the cost measured.
 */
function instrumentOverhead(base: TrainConfig, data: Dataset, loggedSteps: number): number {
  const logEvery = 10;
  const trainer = new Trainer({ ...base, logEvery }, data);
  const logged: number[] = [];
  const unlogged: number[] = [];
  try {
    for (let i = 0; i < logEvery; i++) trainer.trainStep();
    while (logged.length < loggedSteps) {
      const start = performance.now();
      const outcome = trainer.trainStep();
      (outcome.line ? logged : unlogged).push(performance.now() - start);
    }
  } finally {
    trainer.dispose();
  }
  const plain = median(unlogged);
  return 1 + (median(logged) - plain) / (logEvery * plain);
}

/** Multiply-adds of one forward pass of the CIFAR ResNet (3 stages of n basic blocks, 16/32/64). */
function resnetForwardMacs(depth: number, size = 32, inChannels = 3, width = 16): number {
  const n = (depth - 2) / 6;
  let macs = size * size * 9 * inChannels * width;
  let channels = width;
  let s = size;
  for (let stage = 0; stage < 3; stage++) {
    const out = width * 2 ** stage;
    for (let i = 0; i < n; i++) {
      const stride = stage > 0 && i === 0 ? 2 : 1;
      const so = s / stride;
      macs += so * so * 9 * channels * out + so * so * 9 * out * out;
      if (stride !== 1 || channels !== out) macs += so * so * channels * out;
      channels = out;
      s = so;
    }
  }
  return macs + channels * 10;
}

function cifarShaped(n: number): Dataset {
  // Random CIFAR-shaped inputs: the step time does not depend on what the pixels show, and the bench
  // must not need the 163 MB download.
  const x = new Float32Array(n * 32 * 32 * 3);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 12.9898) * 1.5;
  const y = Uint8Array.from({ length: n }, (_, i) => i % 10);
  return { name: 'cifar-shaped', inputShape: [32, 32, 3], task: 'classification', numClasses: 10, train: { x, y, n }, val: { x, y, n } };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s[Math.floor(s.length / 2)];
  if (m === undefined) throw new Error('median of no values');
  return m;
}

async function main(): Promise<void> {
  tf.env().set('PROD', true);
  const fashion = await loadDataset('fashion-mnist', { trainLimit: 8192, valLimit: 256 });
  const cifar = cifarShaped(512);
  const results: Record<string, unknown> = { date: new Date().toISOString(), quick, node: process.versions.node, backends: {} };
  // webgpu has its own section below (in its own process).
  const candidates: BackendName[] = only ? (only === 'webgpu' ? [] : [only]) : ['node-gpu', 'node', 'wasm', 'cpu'];
  for (const name of candidates) {
    if (name === 'node-gpu' || name === 'node') {
      const trial = await tryBackend(name);
      if (!trial.loaded) {
        console.log(`${name}: skipped (${trial.attempt.reason ?? 'does not load'})`);
        continue;
      }
    }
    // As the CLI would start it for a CNN: on wasm that is the multi-threaded build. A process keeps
    // the build it started, so the MLP below runs on it too (threads neither help nor hurt its wall time).
    const choice = name === 'node-gpu' || name === 'node' ? undefined : await initBackend(name, { convolutional: true });
    console.log(`\n== ${name} (${tf.getBackend()}${choice ? `, ${choice.device}` : ''}) ==`);
    const row: Record<string, unknown> = choice ? { device: choice.device } : {};
    const mlp = resolveConfig({ net: 'mlp', arch: 'residual-bn', depth: 20, width: 128, batchSize: 128, steps: 1_000_000 });
    const m = timeSteps(mlp, fashion, 3, name === 'cpu' ? 5 : quick ? 5 : 20);
    row.mlp = m;
    console.log(
      `residual-bn MLP d20 w128 b128: ${m.samplesPerSecond.toFixed(0)} samples/s (${m.msPerStep.toFixed(1)} ms/step), tensors/step ${m.tensorsPerStep}`,
    );
    if (name !== 'cpu') {
      const resnet = resolveConfig({ net: 'cnn', arch: 'residual-bn', depth: 20, width: 16, batchSize: 32, steps: 1_000_000 });
      const r = timeSteps(resnet, cifar, 2, quick ? 3 : 10);
      const flops = 3 * 2 * resnetForwardMacs(20) * 32;
      const gflops = flops / (r.msPerStep / 1000) / 1e9;
      row.resnet20 = { ...r, gflopPerStep: flops / 1e9, gflops };
      console.log(
        `ResNet-20 (CIFAR layout) b32 32x32x3: ${r.samplesPerSecond.toFixed(1)} samples/s (${r.msPerStep.toFixed(0)} ms/step), ${gflops.toFixed(1)} GFLOP/s achieved (${(flops / 1e9).toFixed(2)} GFLOP/step), tensors/step ${r.tensorsPerStep}`,
      );
      const overheadCnn = instrumentOverhead(resnet, cifar, quick ? 3 : 8);
      row.instrumentOverheadResnet20 = overheadCnn;
      console.log(
        `instruments at the default log interval (ResNet-20): ${((overheadCnn - 1) * 100).toFixed(1)}% (ratio ${overheadCnn.toFixed(3)})`,
      );
    } else {
      console.log('ResNet-20: skipped on the pure-JS cpu backend (minutes per step)');
    }
    // The pure-JS backend takes seconds per MLP step: fewer logged steps there.
    const overheadMlp = instrumentOverhead(mlp, fashion, name === 'cpu' ? 2 : quick ? 5 : 20);
    row.instrumentOverheadMlp = overheadMlp;
    console.log(
      `instruments at the default log interval (MLP): ${((overheadMlp - 1) * 100).toFixed(1)}% (ratio ${overheadMlp.toFixed(3)})`,
    );
    if (name === 'wasm') {
      const conv = await benchWasmConv({ includeSlow: !quick, reps: quick ? 3 : 7 });
      row.wasmConv = conv;
      for (const c of conv)
        console.log(`wasm conv gradient ${c.caseName}: filter ${c.msFilterGrad.toFixed(1)} ms, input ${c.msInputGrad.toFixed(1)} ms`);
    }
    (results.backends as Record<string, unknown>)[name] = row;
  }
  if (!only || only === 'webgpu') {
    const w = await benchWebGpu({ quick });
    results.webgpu = w;
    if ('error' in w) {
      console.log(`\n== webgpu vs wasm vs cpu ==\nskipped: ${w.error}`);
    } else {
      console.log(`\n== webgpu vs wasm vs cpu: ${w.model} ==`);
      for (const r of w.rows) {
        const what = r.adapter ? `${r.adapter} adapter, ${r.device}` : (r.device ?? '');
        console.log(
          r.samplesPerSecond === null
            ? `${r.backend}: skipped (${r.skipped})`
            : `${r.backend}: ${r.samplesPerSecond.toFixed(1)} samples/s (${r.msPerStep!.toFixed(0)} ms/step) on ${what}`,
        );
      }
    }
  }
  if (!only) {
    const startup = await benchStartup();
    results.startup = startup;
    console.log(
      `\nstartup: --help ${startup.helpMs.toFixed(0)} ms (target < 300), --version ${startup.versionMs.toFixed(0)} ms, tutor first screen ${startup.tutorMs === null ? 'n/a' : `${startup.tutorMs.toFixed(0)} ms`} (target < 1000)`,
    );
    if (!quick) {
      const dash = await benchDashboardOverhead();
      results.dashboard = dash;
      console.log(
        dash
          ? `dashboard open vs headless: ${dash.dashboard.toFixed(0)} vs ${dash.headless.toFixed(0)} samples/s, ratio ${dash.ratio.toFixed(3)} (target >= 0.97)`
          : 'dashboard overhead: skipped (tmux not found)',
      );
    }
  }
  const dir = join(process.cwd(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  const wasm = (
    results.backends as Record<
      string,
      { resnet20?: { samplesPerSecond: number }; instrumentOverheadResnet20?: number; instrumentOverheadMlp?: number }
    >
  ).wasm;
  if (wasm?.resnet20) {
    console.log(
      `\ntargets (wasm, 2 cores): ResNet-20 >= 60 samples/s: ${wasm.resnet20.samplesPerSecond.toFixed(1)} (${(wasm.resnet20.samplesPerSecond / 60).toFixed(2)}x of target)`,
    );
    console.log(
      `instruments < 5%: ResNet-20 ${(((wasm.instrumentOverheadResnet20 ?? 1) - 1) * 100).toFixed(1)}%, MLP ${(((wasm.instrumentOverheadMlp ?? 1) - 1) * 100).toFixed(1)}%`,
    );
  }
  console.log(`written to ${join(dir, 'latest.json')}`);
}

(args[0] === 'lessons' ? benchLessonCosts(args.slice(1)).then(() => undefined) : main()).catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
