import * as tf from '@tensorflow/tfjs-core';

import { InvalidArgumentError, formatShape } from '@edet/tensor';

/**
 * How an element-wise loss becomes the returned tensor: `'none'` keeps one value per element, `'sum'` adds
 * them, `'mean'` divides the sum by the element count (weights do not change the count, as in PyTorch).
 */
export type Reduction = 'none' | 'sum' | 'mean';

/** Options every loss in this package shares. */
export interface ReductionOptions {
  /** Default `'sum'`: detection losses are summed, then normalised by the number of positive anchors. */
  reduction?: Reduction;
  /**
   * Per-element weights or a 0/1 mask (e.g. 0 for ignored anchors), broadcastable to the element-wise loss
   * shape (for box losses that is the box shape, e.g. `[N, A, 1]` against deltas `[N, A, 4]`). Not disposed.
   */
  weights?: tf.Tensor;
}

const REDUCTIONS: readonly Reduction[] = ['none', 'sum', 'mean'];

/** Throws unless `reduction` is one of the three names (it may come from untyped configuration). */
export function checkReduction(reduction: unknown): asserts reduction is Reduction {
  if (!REDUCTIONS.includes(reduction as Reduction)) {
    throw new InvalidArgumentError('reduction', `one of ${REDUCTIONS.join(', ')}`, String(reduction));
  }
}

/**
 * Throws unless `weights` broadcasts to `lossShape` without enlarging it. Called before any tensor work so
 * a bad argument leaks nothing.
 */
export function checkWeights(weights: tf.Tensor | undefined, lossShape: readonly number[]): void {
  if (weights == null) return;
  const expected = `a tensor broadcastable to ${formatShape(lossShape)}`;
  if (weights.rank > lossShape.length) throw new InvalidArgumentError('weights', expected, formatShape(weights.shape));
  const offset = lossShape.length - weights.rank;
  const fits = weights.shape.every((size, i) => size === 1 || size === lossShape[offset + i]);
  if (!fits) throw new InvalidArgumentError('weights', expected, formatShape(weights.shape));
}

/**
 * Applies `weights` and `reduction` to an element-wise loss. Meant to be called inside the loss's `tidy`:
 * it returns a new tensor and leaves `elementLoss` to that scope.
 */
export function reduceLoss(elementLoss: tf.Tensor, reduction: Reduction, weights?: tf.Tensor): tf.Tensor {
  const weighted = weights == null ? elementLoss : tf.mul(elementLoss, tf.cast(weights, 'float32'));
  if (reduction === 'sum') return tf.sum(weighted);
  if (reduction === 'mean') return tf.mean(weighted);
  return weighted;
}
