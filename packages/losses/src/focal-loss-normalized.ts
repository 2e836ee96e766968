import * as tf from '@tensorflow/tfjs-core';

import { InvalidArgumentError, formatShape } from '@edet/tensor';

import { AnchorState } from './anchor-state.js';
import { sigmoidFocalLoss } from './focal-loss.js';
import { checkAnchorState, checkNormalization, normalizeByPositives, type PositiveNormalization } from './normalize.js';
import { checkSameShape } from './validation.js';

/** Options of `focalLossNormalized`. */
export interface NormalizedFocalLossOptions {
  /** Default 0.25. */
  alpha?: number;
  /** Default 2.0 (official training: 1.5). */
  gamma?: number;
  /** Default `'batch'`: the batch's summed loss over `max(1, positives in the batch)`. */
  normalization?: PositiveNormalization;
}

/**
 * EfficientDet's classification loss: sigmoid focal loss over every anchor and class, ignored anchors
 * masked out, summed and divided by the number of positive anchors.
 *
 * Negative anchors keep their (all-zero) one-hot rows and so push every class down; ignored anchors add
 * nothing. The official automl model divides by `positives in the batch + 1`; the spec's (and the default
 * here) `max(1, positives in the batch)` differs only by that one; `'image'` gives the zylo117 per-image mean.
 *
 * @param logits `[N, A, C]` class logits of every anchor of every level. Not disposed.
 * @param targets `[N, A, C]` one-hot class targets (zeros for negative and ignored anchors). Not disposed.
 * @param anchorState `[N, A]` 1 positive, 0 negative, -1 ignored (`AnchorState`). Not disposed.
 * @returns a new scalar the caller disposes.
 */
export function focalLossNormalized(
  logits: tf.Tensor,
  targets: tf.Tensor,
  anchorState: tf.Tensor,
  options: NormalizedFocalLossOptions = {},
): tf.Scalar {
  const { alpha, gamma, normalization = 'batch' } = options;
  if (logits.rank !== 3) {
    throw new InvalidArgumentError('logits', 'a [batch, anchors, classes] tensor', formatShape(logits.shape));
  }
  checkSameShape('logits', logits, 'targets', targets);
  checkAnchorState(anchorState, logits, 'logits');
  checkNormalization(normalization);
  return tf.tidy(() => {
    const kept = tf.expandDims(tf.cast(tf.notEqual(anchorState, AnchorState.ignored), 'float32'), 2); // [N, A, 1]
    const elementLoss = sigmoidFocalLoss(logits, targets, { alpha, gamma, reduction: 'none', weights: kept });
    return normalizeByPositives(elementLoss, anchorState, { normalization });
  });
}
