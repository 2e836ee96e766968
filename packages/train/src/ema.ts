import * as tf from '@tensorflow/tfjs-core';
import type { Module } from '@edet/tensor';

/**
 * An exponential moving average of a model's weights and batch-norm statistics (every entry of
 * `namedEntries`, in tfjs layout). The decay ramps up as `min(decay, (1 + n) / (10 + n))` after `n`
 * updates (TensorFlow's `num_updates` rule), so short runs average over their recent steps rather than
 * staying near the initial weights. `withAverage` swaps the averages into the model for evaluation or
 * saving and swaps the trained weights back afterwards.
 */
export class WeightEma {
  readonly decay: number;
  /** Updates so far. */
  updates: number;
  private readonly shadows = new Map<string, tf.Variable>();
  private readonly entries: Map<string, tf.Variable>;

  constructor(model: Module, decay: number, updates = 0) {
    this.decay = decay;
    this.updates = updates;
    this.entries = new Map(model.namedEntries().map((entry) => [entry.name, entry.variable]));
    for (const [name, variable] of this.entries) this.shadows.set(name, variableFrom(tf.clone(variable)));
  }

  /** The decay of the next update. */
  currentDecay(): number {
    return Math.min(this.decay, (1 + this.updates) / (10 + this.updates));
  }

  /** Moves every average towards the model's current value. */
  update(): void {
    const decay = this.currentDecay();
    this.updates += 1;
    tf.tidy(() => {
      for (const [name, shadow] of this.shadows) {
        const value = this.entries.get(name)!;
        shadow.assign(tf.add(shadow, tf.mul(tf.sub(value, shadow), 1 - decay)));
      }
    });
  }

  /** Runs `fn` with the averages in the model, then puts the trained weights back (also when `fn` throws). */
  async withAverage<T>(fn: () => Promise<T> | T): Promise<T> {
    const saved = new Map<string, tf.Tensor>();
    for (const [name, variable] of this.entries) {
      saved.set(name, tf.clone(variable));
      variable.assign(this.shadows.get(name)!);
    }
    try {
      return await fn();
    } finally {
      for (const [name, variable] of this.entries) variable.assign(saved.get(name)!);
      tf.dispose([...saved.values()]);
    }
  }

  /** The averages keyed by entry name (new tensors the caller disposes). */
  getState(): Record<string, tf.Tensor> {
    const tensors: Record<string, tf.Tensor> = {};
    for (const [name, shadow] of this.shadows) tensors[name] = tf.clone(shadow);
    return tensors;
  }

  /** Restores averages saved by `getState` (names not in the model are ignored; the caller keeps `tensors`). */
  setState(tensors: Readonly<Record<string, tf.Tensor>>, updates: number): void {
    this.updates = updates;
    for (const [name, shadow] of this.shadows) {
      const tensor = tensors[name];
      if (tensor !== undefined && tf.util.arraysEqual(tensor.shape, shadow.shape)) shadow.assign(tensor);
    }
  }

  dispose(): void {
    for (const shadow of this.shadows.values()) shadow.dispose();
    this.shadows.clear();
  }
}

/** A non-trainable variable holding `tensor`'s data; `tensor` itself is released (its data lives on in the variable). */
export function variableFrom(tensor: tf.Tensor): tf.Variable {
  const variable = tf.variable(tensor, false);
  tensor.dispose();
  return variable;
}
