import type * as tf from '@tensorflow/tfjs-core';
import type { Module } from '@edet/tensor';

/** Where one model entry lives in a packed float32 buffer. */
export interface PackedEntry {
  name: string;
  variable: tf.Variable;
  trainable: boolean;
  /** Offset in elements. */
  offset: number;
  size: number;
}

/**
 * The packing of a model's entries into flat float32 buffers, shared by the trainer and its workers
 * (both build the same model, so the same `namedEntries()` order):
 * - `weights`: every entry, in `namedEntries()` order;
 * - `output`: the trainable entries (gradients) first, then the others (batch-norm running statistics).
 */
export class EntryLayout {
  /** Every entry with its offset in the weights buffer. */
  readonly weights: PackedEntry[];
  /** Every entry with its offset in the output buffer. */
  readonly output: PackedEntry[];
  /** Elements of the weights buffer (and of the output buffer). */
  readonly totalSize: number;
  /** Elements of the output buffer that hold gradients. */
  readonly gradientSize: number;

  constructor(model: Module) {
    const entries = model.namedEntries();
    for (const entry of entries) {
      if (entry.variable.dtype !== 'float32') throw new Error(`entry ${entry.name} is ${entry.variable.dtype}; only float32 entries can be shared`);
    }
    let offset = 0;
    this.weights = entries.map((entry) => {
      const packed = { name: entry.name, variable: entry.variable, trainable: entry.trainable, offset, size: entry.variable.size };
      offset += packed.size;
      return packed;
    });
    this.totalSize = offset;
    const ordered = [...this.weights.filter((e) => e.trainable), ...this.weights.filter((e) => !e.trainable)];
    offset = 0;
    this.output = ordered.map((entry) => {
      const packed = { ...entry, offset };
      offset += entry.size;
      return packed;
    });
    this.gradientSize = this.output.filter((e) => e.trainable).reduce((total, e) => total + e.size, 0);
  }

  /** The entry names in weights order. */
  names(): string[] {
    return this.weights.map((entry) => entry.name);
  }
}
