import * as tf from '@tensorflow/tfjs-core';

import { checkReduction, checkWeights, reduceLoss, type ReductionOptions } from './reduction.js';
import { checkNumber, checkSameShape } from './validation.js';

/** Options of `smoothL1Loss`. */
export interface SmoothL1LossOptions extends ReductionOptions {
  /** Where the quadratic part meets the linear part, >= 0; 0 gives plain L1. Default 1/9 (zylo117). */
  beta?: number;
}

/**
 * Smooth L1 loss in PyTorch's form, per element of `x = pred - target`:
 * `0.5 x^2 / beta` where `|x| < beta`, else `|x| - 0.5 beta`. Its slope is at most 1, whatever beta.
 * (TensorFlow's Huber with `delta = beta` is this times beta; see `huberLoss`.)
 *
 * @param pred `[...]`, e.g. `[N, A, 4]` predicted box deltas. Not disposed.
 * @param target `[...]` same shape. Not disposed.
 * @returns a new tensor the caller disposes: scalar sum (default) or mean, or `[...]` with `reduction: 'none'`.
 */
export function smoothL1Loss(pred: tf.Tensor, target: tf.Tensor, options: SmoothL1LossOptions = {}): tf.Tensor {
  const { beta = 1 / 9, reduction = 'sum', weights } = options;
  checkSameShape('pred', pred, 'target', target);
  checkNumber('beta', beta, 'a number >= 0', (value) => value >= 0);
  checkReduction(reduction);
  checkWeights(weights, pred.shape);
  return tf.tidy(() => {
    const absolute = tf.abs(tf.sub(pred, target));
    if (beta === 0) return reduceLoss(absolute, reduction, weights);
    // Branch-free: with c = min(|x|, beta), 0.5 c^2 / beta + (|x| - c) is the quadratic part inside the band
    // and the linear part outside it. A `where` would also work, but its unselected branch would still be
    // differentiated.
    const clipped = tf.minimum(absolute, beta);
    const elementLoss = tf.add(tf.mul(tf.square(clipped), 0.5 / beta), tf.sub(absolute, clipped));
    return reduceLoss(elementLoss, reduction, weights);
  });
}
