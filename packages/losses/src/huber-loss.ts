import * as tf from '@tensorflow/tfjs-core';

import { checkReduction, checkWeights, reduceLoss, type ReductionOptions } from './reduction.js';
import { checkNumber, checkSameShape } from './validation.js';

/** Options of `huberLoss`. */
export interface HuberLossOptions extends ReductionOptions {
  /** Where the quadratic part meets the linear part, > 0. Default 0.1 (the official EfficientDet box loss). */
  delta?: number;
}

/**
 * Huber loss in TensorFlow's (Keras) form, per element of `x = pred - target`:
 * `0.5 x^2` where `|x| <= delta`, else `delta (|x| - 0.5 delta)`. Equals `delta * smoothL1(beta = delta)`.
 * The official model uses it on the encoded deltas of positive anchors with `delta = 0.1`, summed and divided
 * by `4 * positives` (see `normalizeByPositives`).
 *
 * @param pred `[...]`, e.g. `[N, A, 4]` predicted box deltas. Not disposed.
 * @param target `[...]` same shape. Not disposed.
 * @returns a new tensor the caller disposes: scalar sum (default) or mean, or `[...]` with `reduction: 'none'`.
 */
export function huberLoss(pred: tf.Tensor, target: tf.Tensor, options: HuberLossOptions = {}): tf.Tensor {
  const { delta = 0.1, reduction = 'sum', weights } = options;
  checkSameShape('pred', pred, 'target', target);
  checkNumber('delta', delta, 'a number > 0', (value) => value > 0);
  checkReduction(reduction);
  checkWeights(weights, pred.shape);
  return tf.tidy(() => {
    const absolute = tf.abs(tf.sub(pred, target));
    // With c = min(|x|, delta): 0.5 c^2 + delta (|x| - c), branch-free like smoothL1Loss.
    const clipped = tf.minimum(absolute, delta);
    const elementLoss = tf.add(tf.mul(tf.square(clipped), 0.5), tf.mul(tf.sub(absolute, clipped), delta));
    return reduceLoss(elementLoss, reduction, weights);
  });
}
