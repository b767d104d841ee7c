/**
 * `npm run build && node dist/bench/claims.js [--seeds 1,2]`: the direction of the two lesson claims
 * that need too much training for a unit test (issue 12, Tests), on the project's own trainer, on
 * two seeds by default, at sizes well below the lessons' (which run them through the tutor):
 *
 * - Degradation in He et al.'s setting (lesson 1): with BatchNorm everywhere, the 20-block plain MLP
 *   ends with a higher training loss than the 2-block one while its gradients stay healthy, and the
 *   20-block residual MLP ends lower than the 20-block plain one.
 * - BatchNorm's noise (lesson 7): batches of 16 leave a smaller train-validation accuracy gap than
 *   batches of 250, for the same passes over the same 500 images.
 *
 * Prints every number and exits 1 when a direction fails on any seed. Minutes on a loaded 2-core
 * machine: that is why these live here and not in `test/`.
 */
import { initBackend } from '../src/engine/backend.js';
import { resolveConfig } from '../src/contracts/train-config.js';
import { loadDataset } from '../src/data/index.js';
import type { Dataset } from '../src/data/types.js';
import { Trainer } from '../src/engine/trainer.js';
import type { MetricsLine } from '../src/contracts/run-folder.js';

const args = process.argv.slice(2);
const seeds = args.includes('--seeds') ? args[args.indexOf('--seeds') + 1]!.split(',').map(Number) : [1, 2];

interface Trained {
  readonly losses: number[];
  readonly lines: MetricsLine[];
  readonly diverged: boolean;
  readonly valAccuracy?: number;
}

function train(raw: Record<string, unknown>, data: Dataset, validate = false): Trained {
  const trainer = new Trainer(resolveConfig(raw, 'bench/claims'), data);
  const losses: number[] = [];
  const lines: MetricsLine[] = [];
  try {
    while (!trainer.done) {
      const r = trainer.trainStep();
      if (r.diverged) return { losses, lines, diverged: true };
      losses.push(r.loss);
      if (r.line) lines.push(r.line);
    }
    return { losses, lines, diverged: false, ...(validate ? { valAccuracy: trainer.validate().valAccuracy! } : {}) };
  } finally {
    trainer.dispose();
  }
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** Training loss at the end: the mean over the last quarter of the steps. */
const endLoss = (t: Trained) => mean(t.losses.slice(-Math.max(1, Math.floor(t.losses.length / 4))));
const f = (x: number) => x.toFixed(3);

const failures: string[] = [];
function expectThat(ok: boolean, what: string): void {
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
}

await initBackend('wasm');
const MLP = { net: 'mlp', dataset: 'fashion-mnist', width: 64, batchSize: 64, optimizer: 'momentum', lr: 0.05 } as const;

console.log('Degradation with BatchNorm (lesson 1): MLP width 64, 4000 Fashion-MNIST images, 200 steps, lr 0.05 momentum');
for (const seed of seeds) {
  const data = await loadDataset('fashion-mnist', { trainLimit: 4000, valLimit: 100, seed });
  const cfg = { ...MLP, steps: 200, seed };
  const shallow = train({ ...cfg, arch: 'plain-bn', depth: 2 }, data);
  const deep = train({ ...cfg, arch: 'plain-bn', depth: 20 }, data);
  const residual = train({ ...cfg, arch: 'residual-bn', depth: 20 }, data);
  // Gradients at the first step, per unit (stem, blocks, head): a separate one-step run.
  const g = train({ ...cfg, arch: 'plain-bn', depth: 20, steps: 1, logEvery: 1 }, data).lines[0]!.gradNorms;
  const head = g[g.length - 1]!;
  const weakest = Math.min(...g.slice(1, -1));
  console.log(
    `seed ${seed}: end loss plain-bn 2 blocks ${f(endLoss(shallow))}, plain-bn 20 ${f(endLoss(deep))}, residual-bn 20 ${f(endLoss(residual))} (nats); plain-bn 20 at step 1: weakest block gradient ${weakest.toExponential(2)}, classifier ${head.toExponential(2)}`,
  );
  expectThat(!shallow.diverged && !deep.diverged && !residual.diverged, `seed ${seed}: no run diverged`);
  expectThat(endLoss(deep) > endLoss(shallow), `seed ${seed}: plain-bn 20 blocks ends above plain-bn 2 blocks`);
  expectThat(endLoss(residual) < endLoss(deep), `seed ${seed}: residual-bn 20 blocks ends below plain-bn 20 blocks`);
  expectThat(
    weakest > 0.01 * head,
    `seed ${seed}: every block of plain-bn 20 gets over 1% of the classifier's gradient norm (no vanishing)`,
  );
}

console.log("BatchNorm's noise (lesson 7): residual-bn MLP, 4 blocks of width 64, 500 images, 15 epochs, lr 0.05 momentum");
for (const seed of seeds) {
  const data = await loadDataset('fashion-mnist', { trainLimit: 500, valLimit: 1000, seed });
  const gap = (batchSize: number) => {
    const t = train({ ...MLP, arch: 'residual-bn', depth: 4, batchSize, epochs: 15, seed }, data, true);
    const trainAccuracy = t.lines[t.lines.length - 1]!.accuracy!;
    console.log(`seed ${seed}, batch ${batchSize}: train accuracy ${f(trainAccuracy)}, validation ${f(t.valAccuracy!)}`);
    return t.diverged ? NaN : trainAccuracy - t.valAccuracy!;
  };
  const small = gap(16);
  const large = gap(250);
  expectThat(small < large, `seed ${seed}: gap with batches of 16 (${f(small)}) below the gap with batches of 250 (${f(large)})`);
}

if (failures.length > 0) {
  console.log(`${failures.length} direction(s) failed.`);
  process.exit(1);
}
console.log('Every direction held on every seed.');
