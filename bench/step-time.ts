/**
 * `node dist/bench/step-time.js [steps] [backend] [--mlp]`: median time of one ResNet-20 (CIFAR layout,
 * residual-bn, batch 32, 32x32x3) training step (or, with --mlp, of the bench's residual-bn MLP), nothing else, for quick A/B comparisons of engine
 * changes (run two builds alternately; the machine is noisy: compare the CPU-time column).
 */
import * as tf from '../src/engine/tf.js';
import { initBackend } from '../src/engine/backend.js';
import { type BackendName } from '../src/engine/backends/types.js';
import { resolveConfig } from '../src/contracts/train-config.js';
import type { Dataset } from '../src/data/types.js';
import { Trainer } from '../src/engine/trainer.js';

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((a) => a !== '--mlp');
  const mlp = process.argv.includes('--mlp');
  const steps = Number(args[0] ?? 10);
  await initBackend((args[1] ?? 'wasm') as BackendName, { convolutional: !process.argv.includes('--mlp') });
  tf.env().set('PROD', true);
  const n = 256;
  const inputShape: [number, number, number] = mlp ? [28, 28, 1] : [32, 32, 3];
  const x = Float32Array.from({ length: n * inputShape[0] * inputShape[1] * inputShape[2] }, (_, i) => Math.sin(i * 12.9898) * 1.5);
  const y = Uint8Array.from({ length: n }, (_, i) => i % 10);
  const data: Dataset = { name: 'x', inputShape, task: 'classification', numClasses: 10, train: { x, y, n }, val: { x, y, n } };
  const config = mlp
    ? resolveConfig({ net: 'mlp', arch: 'residual-bn', depth: 20, width: 128, batchSize: 128, steps: 1_000_000 })
    : resolveConfig({ net: 'cnn', arch: 'residual-bn', depth: 20, width: 16, batchSize: 32, steps: 1_000_000 });
  const batch = config.batchSize;
  const t = new Trainer(config, data);
  for (let i = 0; i < 3; i++) t.trainStep();
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < steps; i++) {
    const start = performance.now();
    const c0 = process.cpuUsage();
    t.trainStep();
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    times.push(performance.now() - start);
  }
  t.dispose();
  times.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  const ms = times[Math.floor(times.length / 2)];
  const cpuMs = cpu[Math.floor(cpu.length / 2)];
  const fastest = times[0];
  if (ms === undefined || cpuMs === undefined || fastest === undefined) throw new Error('no steps timed: pass a step count of 1 or more');
  // CPU time of this process is much less sensitive than wall time to other load on the machine.
  console.log(
    `${mlp ? 'residual-bn MLP d20 w128 b128' : 'ResNet-20 b32'}: median ${ms.toFixed(0)} ms/step (min ${fastest.toFixed(0)}), ${((batch * 1000) / ms).toFixed(1)} samples/s; ` +
      `median CPU ${cpuMs.toFixed(0)} ms/step (${((batch * 1000) / cpuMs).toFixed(1)} samples/s on an idle core)`,
  );
}
main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
