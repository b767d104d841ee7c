import type { Dataset } from '../../src/engine/data/types.js';
import { Rng } from '../../src/engine/rng.js';

/** A small separable classification set (class = which input coordinate block is largest). */
export function toyImages(n = 256, size = 8, channels = 1, classes = 4, seed = 7): Dataset {
  const rng = new Rng(seed);
  const make = (count: number) => {
    const per = size * size * channels;
    const x = new Float32Array(count * per);
    const y = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      const c = rng.int(classes);
      y[i] = c;
      for (let j = 0; j < per; j++) x[i * per + j] = rng.normal() * 0.5 + ((j % classes) === c ? 1 : 0);
    }
    return { x, y, n: count };
  };
  return {
    name: 'toy',
    inputShape: [size, size, channels],
    task: 'classification',
    numClasses: classes,
    train: make(n),
    val: make(Math.floor(n / 4)),
  };
}
