import * as tf from '../tf.js';
import { Rng, deriveSeed } from '../../util/rng.js';

/** One trainable tensor, tagged with the unit (stem, block k, head) its gradient norm is reported under. */
export interface Param {
  readonly name: string;
  readonly unit: number;
  readonly variable: tf.Variable;
  /** Weight decay applies to weights, not to biases or BatchNorm scales and offsets. */
  readonly decay: boolean;
}

/**
 * Creates a model's variables. Every tensor gets its own seed derived from the run seed and its name,
 * so equal shapes never get equal weights and the same seed always gives the same net.
 */
let modelCount = 0;

export class ParamStore {
  readonly params: Param[] = [];
  /** Non-trainable state (BatchNorm running statistics), saved in checkpoints. */
  readonly state: { name: string; variable: tf.Variable }[] = [];

  /** tfjs keeps one global registry of variable names, so each model's names get a unique prefix. */
  private readonly prefix = `m${++modelCount}/`;

  constructor(private readonly seed: number) {}

  /** Constant tensors the layers make once and reuse: neither trained nor saved. */
  private readonly constants = new Map<string, tf.Tensor>();

  /** Frees every tensor of the model. */
  dispose(): void {
    for (const p of this.params) p.variable.dispose();
    for (const s of this.state) s.variable.dispose();
    for (const t of this.constants.values()) t.dispose();
    this.constants.clear();
  }

  /** The constant under `key`, made by `make` on first use; it lives as long as the model. */
  cached(key: string, make: () => tf.Tensor): tf.Tensor {
    let t = this.constants.get(key);
    if (!t) {
      t = tf.keep(tf.tidy(make));
      this.constants.set(key, t);
    }
    return t;
  }

  /**
   * He (Kaiming) normal: std sqrt(gain / fanIn). Gain 2 keeps the second moment through a layer whose
   * input came out of a ReLU (half of it is zeroed); gain 1 (LeCun) is for an input that did not.
   */
  he(name: string, unit: number, shape: number[], fanIn: number, gain = 2): tf.Variable {
    const std = Math.sqrt(gain / fanIn);
    const values = new Rng(deriveSeed(this.seed, name)).normalArray(sizeOf(shape), std);
    return this.add(name, unit, tf.tensor(values, shape, 'float32'), true);
  }

  constant(name: string, unit: number, shape: number[], value: number): tf.Variable {
    return this.add(name, unit, tf.fill(shape, value, 'float32'), false);
  }

  runningStat(name: string, shape: number[], value: number): tf.Variable {
    // The variable keeps its own reference to the data: the initial tensor must be freed (as in `add`).
    const init = tf.fill(shape, value, 'float32');
    const variable = tf.variable(init, false, this.prefix + name);
    init.dispose();
    this.state.push({ name, variable });
    return variable;
  }

  private add(name: string, unit: number, init: tf.Tensor, decay: boolean): tf.Variable {
    const variable = tf.variable(init, true, this.prefix + name);
    init.dispose();
    this.params.push({ name, unit, variable, decay });
    return variable;
  }
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
