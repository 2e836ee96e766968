import * as tf from '@tensorflow/tfjs-core';

import { InvalidArgumentError, formatShape } from '@edet/tensor';

/**
 * Reorders `[y1, x1, y2, x2]` (the anchor layout) into `[x1, y1, x2, y2]` (the box layout), or back: the
 * swap is its own inverse.
 *
 * @param boxes `[..., 4]`.
 * @returns `[..., 4]`, a new tensor the caller disposes.
 */
export function swapXY(boxes: tf.Tensor): tf.Tensor {
  if (boxes.rank < 1 || boxes.shape[boxes.rank - 1] !== 4) {
    throw new InvalidArgumentError('boxes', 'a tensor whose last dimension is 4', formatShape(boxes.shape));
  }
  return tf.tidy(() => {
    const [a, b, c, d] = tf.split(boxes, 4, -1);
    return tf.concat([b, a, d, c], -1);
  });
}
