/**
 * `node dist/bench/profile-step.js [cnn|mlp] [backend]`: which kernels one training step spends its
 * time in (tf.profile), to decide what to optimise next. `--shapes` adds the 25 largest
 * (kernel, input shapes) groups. Nested kernels (a custom gradient's forward, fused ops) are counted
 * both inside and as their own entries.
 */
import * as tf from '../src/engine/tf.js';
import { initBackend } from '../src/engine/backend.js';
import { type BackendName } from '../src/engine/backends/types.js';
import { resolveConfig } from '../src/contracts/train-config.js';
import type { Dataset } from '../src/data/types.js';
import { Trainer } from '../src/engine/trainer.js';

async function main(): Promise<void> {
  const net = (process.argv[2] ?? 'cnn') as 'cnn' | 'mlp';
  await initBackend((process.argv[3] ?? 'wasm') as BackendName, { convolutional: net === 'cnn' });
  const shape = net === 'cnn' ? [32, 32, 3] : [28, 28, 1];
  const size = shape.reduce((a, b) => a * b, 1);
  const n = 256;
  const x = Float32Array.from({ length: n * size }, (_, i) => Math.sin(i * 12.9898));
  const y = Uint8Array.from({ length: n }, (_, i) => i % 10);
  const data: Dataset = { name: 'x', inputShape: shape, task: 'classification', numClasses: 10, train: { x, y, n }, val: { x, y, n } };
  const config = resolveConfig(
    net === 'cnn' ? { net, depth: 20, batchSize: 32, steps: 1000 } : { net, depth: 20, width: 128, batchSize: 128, steps: 1000 },
  );
  const t = new Trainer(config, data);
  for (let i = 0; i < 3; i++) t.trainStep();
  const info = await tf.profile(() => {
    t.trainStep();
  });
  const byKernel = new Map<string, { ms: number; count: number }>();
  for (const k of info.kernels) {
    const e = byKernel.get(k.name) ?? { ms: 0, count: 0 };
    e.ms += k.kernelTimeMs as number;
    e.count++;
    byKernel.set(k.name, e);
  }
  const rows = [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms);
  const total = rows.reduce((s, [, e]) => s + e.ms, 0);
  console.log(`total kernel time ${total.toFixed(0)} ms`);
  for (const [name, e] of rows.slice(0, 20)) console.log(`${name.padEnd(28)} ${e.ms.toFixed(1).padStart(8)} ms  x${e.count}`);
  if (process.argv.includes('--shapes')) {
    const byShape = new Map<string, { ms: number; count: number }>();
    for (const k of info.kernels) {
      const key = `${k.name} ${k.inputShapes.map((s) => (s ? `[${s.join(',')}]` : '-')).join(' ')}`;
      const e = byShape.get(key) ?? { ms: 0, count: 0 };
      e.ms += k.kernelTimeMs as number;
      e.count++;
      byShape.set(key, e);
    }
    console.log('\nby input shapes:');
    const top = [...byShape.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25);
    for (const [key, e] of top) console.log(`${e.ms.toFixed(1).padStart(8)} ms  x${String(e.count).padEnd(4)} ${key}`);
  }
  t.dispose();
}
main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
