import type * as tf from '@tensorflow/tfjs-core';

/**
 * What a training loop needs of an optimizer over named variables: edet's `AdamW` and `Sgd` both implement
 * it. Variables and gradients are keyed by the same (module) names.
 */
export interface Optimizer {
  /** Step size of the next update; a schedule sets it between steps. */
  learningRate: number;
  /** Number of updates applied so far. */
  step: number;
  /**
   * Applies one update to `variables` in place. `gradients` (keyed like `variables`, each shaped like its
   * variable) are read, not disposed; variables without a gradient are left alone.
   */
  applyGradients(variables: ReadonlyMap<string, tf.Variable>, gradients: Readonly<Record<string, tf.Tensor>>): void;
  /** The optimizer's state for a checkpoint: new tensors, owned (and disposed) by the caller. */
  getState(): OptimizerState;
  /** Restores `getState()` output; the caller keeps ownership of (and disposes) `state.tensors`. */
  setState(state: { step: number; tensors: Readonly<Record<string, tf.Tensor>> }): void;
  /** Frees the optimizer's own variables (moments, momentum buffers). */
  dispose(): void;
}

/** An optimizer's checkpointable state: the update count and its slot tensors, keyed `variable/slot`. */
export interface OptimizerState {
  step: number;
  tensors: Record<string, tf.Tensor>;
}
