import * as tf from './tf.js';
import type { OptimizerName, ScheduleName } from '../contracts/train-config.js';
import type { Param } from './models/params.js';

/**
 * SGD, momentum and Adam written out, so their state (momentum and Adam slots, the step count) is
 * plain named tensors that checkpoints save and restore exactly.
 */
export interface OptimizerSettings {
  readonly name: OptimizerName;
  readonly momentum: number;
  readonly weightDecay: number;
}

const ADAM_BETA1 = 0.9;
const ADAM_BETA2 = 0.999;
const ADAM_EPSILON = 1e-8;

export class Optimizer {
  /** Slot tensors by "<param name>/<slot>". */
  private readonly slots = new Map<string, tf.Variable>();
  /** Number of updates applied (Adam's bias correction needs it). */
  private t = 0;

  constructor(
    private readonly settings: OptimizerSettings,
    private readonly params: readonly Param[],
  ) {
    const slotNames = settings.name === 'adam' ? ['m', 'v'] : settings.name === 'momentum' ? ['velocity'] : [];
    for (const p of params) {
      for (const slot of slotNames) {
        this.slots.set(`${p.name}/${slot}`, tf.variable(tf.zerosLike(p.variable), false));
      }
    }
  }

  /** Applies one update with learning rate `lr`; `grads` maps each tfjs variable name to its gradient. */
  apply(grads: tf.NamedTensorMap, lr: number): void {
    this.t += 1;
    const { name, momentum, weightDecay } = this.settings;
    const t = this.t;
    tf.tidy(() => {
      for (const p of this.params) {
        let g = grads[p.variable.name];
        if (!g) continue;
        if (weightDecay > 0 && p.decay) g = tf.add(g, tf.mul(p.variable, weightDecay));
        if (name === 'sgd') {
          p.variable.assign(tf.sub(p.variable, tf.mul(g, lr)));
        } else if (name === 'momentum') {
          const v = this.slots.get(`${p.name}/velocity`)!;
          v.assign(tf.add(tf.mul(v, momentum), g));
          p.variable.assign(tf.sub(p.variable, tf.mul(v, lr)));
        } else {
          const m = this.slots.get(`${p.name}/m`)!;
          const v = this.slots.get(`${p.name}/v`)!;
          m.assign(tf.add(tf.mul(m, ADAM_BETA1), tf.mul(g, 1 - ADAM_BETA1)));
          v.assign(tf.add(tf.mul(v, ADAM_BETA2), tf.mul(tf.square(g), 1 - ADAM_BETA2)));
          const step = (lr * Math.sqrt(1 - ADAM_BETA2 ** t)) / (1 - ADAM_BETA1 ** t);
          p.variable.assign(tf.sub(p.variable, tf.div(tf.mul(m, step), tf.add(tf.sqrt(v), ADAM_EPSILON))));
        }
      }
    });
  }

  /** The state to checkpoint: the update count and every slot tensor. */
  get stepCount(): number {
    return this.t;
  }

  set stepCount(t: number) {
    this.t = t;
  }

  slotEntries(): [string, tf.Variable][] {
    return [...this.slots.entries()];
  }

  dispose(): void {
    for (const v of this.slots.values()) v.dispose();
  }
}

/** The learning rate at `step` (0-based) of `total`: constant, step (x0.1 at 50% and 75%), or cosine. */
export function learningRate(schedule: ScheduleName, base: number, step: number, total: number): number {
  if (schedule === 'constant' || total <= 0) return base;
  const progress = Math.min(1, step / total);
  if (schedule === 'step') return base * (progress < 0.5 ? 1 : progress < 0.75 ? 0.1 : 0.01);
  return base * 0.5 * (1 + Math.cos(Math.PI * progress));
}
