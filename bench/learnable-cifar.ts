/** Synthetic CIFAR-10-shaped data for the checks that must run without internet (gpu:check, bench). */
import type { Dataset } from '../src/data/types.js';
import { Rng } from '../src/util/rng.js';

export const CIFAR_CLASSES = 10;

/**
 * CIFAR-10-shaped data that a net can learn in seconds, made here (the check runs without
 * internet): each class has a fixed random colour (a mean per channel in [-1, 1]) and texture (two
 * plane waves per channel), and each example is its class's colour and texture plus N(0, 0.5²) noise
 * per pixel.
 */
export function learnableCifar(n: number, seed = 7): Dataset {
  const rng = new Rng(seed);
  // A colour per class (what a global-average-pooled net picks up in a few steps) and a texture.
  const colours = Array.from({ length: CIFAR_CLASSES * 3 }, () => 2 * rng.next() - 1);
  const waves = Array.from({ length: CIFAR_CLASSES * 3 * 2 }, () => ({
    fy: rng.next() * 0.6,
    fx: rng.next() * 0.6,
    phase: rng.next() * 2 * Math.PI,
  }));
  const make = (count: number): Dataset['train'] => {
    const x = new Float32Array(count * 32 * 32 * 3);
    const y = new Uint8Array(count);
    const noise = new Rng(seed + count);
    for (let i = 0; i < count; i++) {
      const c = i % CIFAR_CLASSES;
      y[i] = c;
      for (let h = 0; h < 32; h++) {
        for (let w = 0; w < 32; w++) {
          for (let ch = 0; ch < 3; ch++) {
            const [a, b] = [waves[(c * 3 + ch) * 2]!, waves[(c * 3 + ch) * 2 + 1]!];
            const v = Math.sin(a.fy * h + a.fx * w + a.phase) + Math.sin(b.fy * h + b.fx * w + b.phase);
            x[((i * 32 + h) * 32 + w) * 3 + ch] = colours[c * 3 + ch]! + 0.5 * v + 0.5 * noise.normal();
          }
        }
      }
    }
    return { x, y, n: count };
  };
  return {
    name: 'synthetic-cifar-shaped',
    inputShape: [32, 32, 3],
    task: 'classification',
    numClasses: CIFAR_CLASSES,
    train: make(n),
    val: make(64),
  };
}
