import * as tf from '../../src/engine/tf.js';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/engine/config.js';
import { Trainer } from '../../src/engine/trainer.js';
import { toyImages } from '../helpers/toy-data.js';

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

describe('trainer smoke', () => {
  for (const net of ['mlp', 'cnn'] as const) {
    for (const arch of ['plain', 'residual', 'residual-bn'] as const) {
      it(`${net} ${arch} learns the toy set`, () => {
        const config = resolveConfig({ net, arch, depth: net === 'cnn' ? 8 : 3, width: net === 'cnn' ? 4 : 32, steps: 30, batchSize: 32, lr: 0.02, logEvery: 5 });
        const t = new Trainer(config, toyImages());
        const losses: number[] = [];
        while (!t.done) {
          const r = t.trainStep();
          expect(r.diverged).toBeUndefined();
          if (r.line) losses.push(r.line.loss);
        }
        console.log(net, arch, losses.map((l) => l.toFixed(3)).join(' '));
        expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
        t.dispose();
      });
    }
  }
});
