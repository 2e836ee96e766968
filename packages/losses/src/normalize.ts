import * as tf from '@tensorflow/tfjs-core';

import { InvalidArgumentError, formatShape } from '@edet/tensor';

import { AnchorState } from './anchor-state.js';
import { checkNumber } from './validation.js';

/**
 * How a summed detection loss is divided by the number of positive anchors P:
 * - `'batch'` (default, what the spec asks): `sum over the batch / max(1, P_batch)`, P_batch the positives of
 *   all images together. The clamp keeps a batch without objects finite.
 * - `'batch-plus-one'`: `sum over the batch / (P_batch + 1)`, the official automl training's exact normaliser.
 * - `'image'`: `mean over images of (sum over image i / max(1, P_i))`, the zylo117 PyTorch port's.
 */
export type PositiveNormalization = 'batch' | 'batch-plus-one' | 'image';

const NORMALIZATIONS: readonly PositiveNormalization[] = ['batch', 'batch-plus-one', 'image'];

/** Options of `normalizeByPositives`. */
export interface PositiveNormalizationOptions {
  /** Default `'batch'`. */
  normalization?: PositiveNormalization;
  /**
   * Loss values each positive anchor contributes; the count is multiplied by it. 1 for classification; 4 for
   * box deltas when the box loss should be a per-coordinate mean (official: `normalizer = num_positives * 4`).
   * Default 1.
   */
  valuesPerPositive?: number;
}

/** Throws unless `normalization` is one of the accepted names. */
export function checkNormalization(normalization: unknown): asserts normalization is PositiveNormalization {
  if (!NORMALIZATIONS.includes(normalization as PositiveNormalization)) {
    throw new InvalidArgumentError('normalization', `one of ${NORMALIZATIONS.join(', ')}`, String(normalization));
  }
}

/** Throws unless `anchorState` is `[N, A]` and `elementLoss` is `[N, A, ...]`. */
export function checkAnchorState(anchorState: tf.Tensor, elementLoss: tf.Tensor, lossName: string): void {
  if (anchorState.rank !== 2) {
    throw new InvalidArgumentError('anchorState', 'a [batch, anchors] tensor', formatShape(anchorState.shape));
  }
  const [batch, anchors] = anchorState.shape;
  if (elementLoss.rank < 2 || elementLoss.shape[0] !== batch || elementLoss.shape[1] !== anchors) {
    throw new InvalidArgumentError(lossName, `a [${batch}, ${anchors}, ...] tensor`, formatShape(elementLoss.shape));
  }
}

/**
 * Sums an element-wise loss and divides it by the number of positive anchors (see `PositiveNormalization`).
 * The count comes from `anchorState` inside the graph, so nothing is read back to JavaScript; it carries
 * no gradient.
 *
 * @param elementLoss `[N, A, ...]` per-element loss, already masked (ignored anchors 0). Not disposed.
 * @param anchorState `[N, A]` 1 positive, 0 negative, -1 ignored (`AnchorState`). Not disposed.
 * @returns a new scalar the caller disposes.
 */
export function normalizeByPositives(
  elementLoss: tf.Tensor,
  anchorState: tf.Tensor,
  options: PositiveNormalizationOptions = {},
): tf.Scalar {
  const { normalization = 'batch', valuesPerPositive = 1 } = options;
  checkAnchorState(anchorState, elementLoss, 'elementLoss');
  checkNormalization(normalization);
  checkNumber('valuesPerPositive', valuesPerPositive, 'a number > 0', (value) => value > 0);
  return tf.tidy(() => {
    const positivesPerImage = tf.sum(tf.cast(tf.equal(anchorState, AnchorState.positive), 'float32'), 1); // [N]
    if (normalization === 'image') {
      const lossPerImage = tf.sum(tf.reshape(elementLoss, [elementLoss.shape[0], -1]), 1); // [N]
      const normalizer = tf.mul(tf.maximum(positivesPerImage, 1), valuesPerPositive);
      return tf.mean(tf.div(lossPerImage, normalizer)) as tf.Scalar;
    }
    const positives = tf.sum(positivesPerImage);
    const count = normalization === 'batch' ? tf.maximum(positives, 1) : tf.add(positives, 1);
    return tf.div(tf.sum(elementLoss), tf.mul(count, valuesPerPositive)) as tf.Scalar;
  });
}
