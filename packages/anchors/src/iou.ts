import * as tf from '@tensorflow/tfjs-core';

import { InvalidArgumentError, formatShape } from '@edet/tensor';

/** Smallest union area, as in the reference loss: keeps degenerate pairs at IoU 0 instead of NaN. */
const MIN_UNION = 1e-8;

/**
 * Intersection over union of every box in `a` with every box in `b` (continuous coordinates: area is
 * `(x2 - x1) * (y2 - y1)`, no +1). Vectorised by broadcasting `[M, 1]` against `[1, K]`.
 *
 * @param a `[M, 4]` boxes `[x1, y1, x2, y2]`.
 * @param b `[K, 4]` boxes `[x1, y1, x2, y2]`.
 * @returns `[M, K]` IoU in [0, 1], a new tensor the caller disposes.
 */
export function pairwiseIou(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  for (const [name, boxes] of [['a', a], ['b', b]] as const) {
    if (boxes.rank !== 2 || boxes.shape[1] !== 4) {
      throw new InvalidArgumentError(name, 'a [count, 4] tensor', formatShape(boxes.shape));
    }
  }
  return tf.tidy(() => {
    const [ax1, ay1, ax2, ay2] = tf.split(a, 4, 1); // each [M, 1]
    const [bx1, by1, bx2, by2] = tf.split(tf.transpose(b), 4, 0); // each [1, K]
    const areaA = tf.mul(tf.sub(ax2, ax1), tf.sub(ay2, ay1));
    const areaB = tf.mul(tf.sub(bx2, bx1), tf.sub(by2, by1));
    const interWidth = tf.relu(tf.sub(tf.minimum(ax2, bx2), tf.maximum(ax1, bx1)));
    const interHeight = tf.relu(tf.sub(tf.minimum(ay2, by2), tf.maximum(ay1, by1)));
    const intersection = tf.mul(interWidth, interHeight);
    const union = tf.maximum(tf.sub(tf.add(areaA, areaB), intersection), MIN_UNION);
    return tf.div(intersection, union) as tf.Tensor2D;
  });
}
