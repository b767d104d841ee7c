/**
 * Real experiment results at a tiny size, for the tutor's screens: training runs from the real
 * trainer and probe results from the real probes (wasm backend, in this process). Cached per test
 * file, so every chart test draws the same numbers.
 */
import { initBackend } from '../../src/engine/backend.js';
import { resolveConfig } from '../../src/contracts/train-config.js';
import { loadDataset } from '../../src/data/index.js';
import { runBnScale } from '../../src/engine/probes/bn-scale.js';
import { runLesion } from '../../src/engine/probes/lesion.js';
import { resolvePathsOptions, resolveShatterOptions, resolveVarianceOptions } from '../../src/contracts/probe-options.js';
import { runPaths } from '../../src/engine/probes/paths.js';
import { runShatter } from '../../src/engine/probes/shatter.js';
import { runVariance } from '../../src/engine/probes/variance.js';
import { Trainer } from '../../src/engine/trainer.js';
import type { MetricsLine } from '../../src/contracts/run-folder.js';
import type { ExperimentResults, TrainRunResult } from '../../src/contracts/lesson-results.js';
import type { ProbeName } from '../../src/contracts/probe-options.js';

/** Trains a tiny MLP on the spiral for `steps` steps and returns its metrics lines (and its weights). */
async function train(label: string, raw: Record<string, unknown>, steps = 30) {
  const config = resolveConfig({
    net: 'mlp',
    dataset: 'synthetic-spiral',
    width: 16,
    steps,
    batchSize: 32,
    logEvery: 5,
    trainLimit: 256,
    valLimit: 64,
    seed: 1,
    ...raw,
  });
  const data = await loadDataset(config.dataset, {
    seed: config.seed,
    trainLimit: config.trainLimit ?? undefined,
    valLimit: config.valLimit ?? undefined,
  });
  const trainer = new Trainer(config, data);
  const lines: MetricsLine[] = [];
  try {
    while (!trainer.done) {
      const o = trainer.trainStep();
      if (o.line) lines.push(o.line);
    }
    return {
      run: { label, seed: config.seed, runId: `test-${label}`, status: 'completed', lines } satisfies TrainRunResult,
      config,
      tensors: trainer.snapshot().tensors,
      step: steps,
    };
  } finally {
    trainer.dispose();
  }
}

export async function trainResults(labels: readonly { label: string; raw: Record<string, unknown> }[]): Promise<ExperimentResults> {
  await initBackend('wasm');
  const runs: TrainRunResult[] = [];
  for (const l of labels) runs.push((await train(l.label, l.raw)).run);
  return { kind: 'train', runs };
}

/** Each probe's real result at a tiny size, two runs where the lessons compare two. */
export async function probeResults(probe: ProbeName): Promise<ExperimentResults> {
  await initBackend('wasm');
  switch (probe) {
    case 'variance': {
      const r = await runVariance(
        resolveVarianceOptions({
          net: 'mlp',
          arch: 'plain,residual,residual-bn',
          depth: 6,
          width: 16,
          batchSize: 32,
          dataset: 'synthetic-spiral',
        }),
      );
      return { kind: 'probe', probe, runs: [{ label: '', seed: 1, result: r }] };
    }
    case 'shatter': {
      const runs = [];
      for (const depth of [3, 6])
        runs.push({
          label: `depth ${depth}`,
          seed: 1,
          result: await runShatter(resolveShatterOptions({ depth, width: 16, points: 64, seed: 1 })),
        });
      return { kind: 'probe', probe, runs };
    }
    case 'paths': {
      const runs = [];
      for (const depth of [3, 5]) {
        const o = resolvePathsOptions({ depth, width: 8, batchSize: 8, samples: 2, dataset: 'synthetic-spiral' }, null);
        runs.push({
          label: `depth ${depth}`,
          seed: 1,
          result: await runPaths({
            model: o.model,
            seed: o.seed,
            trained: null,
            dataset: o.dataset,
            batchSize: o.batchSize,
            samples: o.samples,
          }),
        });
      }
      return { kind: 'probe', probe, runs };
    }
    case 'lesion': {
      const runs = [];
      for (const arch of ['plain', 'residual-bn']) {
        const t = await train(`arch ${arch}`, { arch, depth: 4 });
        runs.push({
          label: `arch ${arch}`,
          seed: 1,
          result: await runLesion({ net: { runId: t.run.runId, config: t.config, step: t.step, tensors: t.tensors }, limit: null }),
        });
      }
      return { kind: 'probe', probe, runs };
    }
    case 'bn-scale': {
      const t = await train('', { arch: 'residual-bn', depth: 4 });
      const result = runBnScale({ runId: t.run.runId, config: t.config, step: t.step, tensors: t.tensors });
      return { kind: 'probe', probe, runs: [{ label: '', seed: 1, result }] };
    }
  }
}
