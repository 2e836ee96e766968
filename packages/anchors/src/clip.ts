import * as tf from '@tensorflow/tfjs-core';

import { InvalidArgumentError, formatShape } from '@edet/tensor';

import { coordinates, fromCoordinates } from './coordinates.js';

/**
 * Clips boxes to the network input frame the way zylo117 `ClipBoxes` does: `x1`, `y1` are clamped at 0
 * from below only, `x2 <= width - 1` and `y2 <= height - 1` from above only. The frame is the padded input,
 * so boxes may still reach into the letterbox padding.
 *
 * @param boxes `[..., 4]` boxes `[x1, y1, x2, y2]` in network-input pixels.
 * @param imageSize `[height, width]` of the network input.
 * @returns `[..., 4]` clipped boxes, a new tensor the caller disposes.
 */
export function clipBoxes(boxes: tf.Tensor, imageSize: readonly [number, number]): tf.Tensor {
  if (boxes.rank < 1 || boxes.shape[boxes.rank - 1] !== 4) {
    throw new InvalidArgumentError('boxes', 'a tensor whose last dimension is 4', formatShape(boxes.shape));
  }
  const [height, width] = imageSize;
  return tf.tidy(() => {
    const [x1, y1, x2, y2] = coordinates(boxes);
    return fromCoordinates([tf.maximum(x1, 0), tf.maximum(y1, 0), tf.minimum(x2, width - 1), tf.minimum(y2, height - 1)]);
  });
}
