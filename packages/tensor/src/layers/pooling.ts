import * as tf from '@tensorflow/tfjs-core';

import { samePadding } from './padding.js';

/**
 * Max pooling with TF "SAME" geometry but **zero** padding, as the official EfficientDet does (it pads with
 * zeros explicitly, then pools without padding). With -inf padding the results differ wherever a window at
 * the bottom/right edge holds only negative values.
 *
 * `[N, H, W, C]` -> `[N, ceil(H/stride), ceil(W/stride), C]`; the caller disposes the result.
 */
export function maxPoolSameZeroPad(x: tf.Tensor4D, kernel = 3, stride = 2): tf.Tensor4D {
  return tf.tidy(() => {
    const [, height, width] = x.shape;
    const padded = tf.pad(x, [[0, 0], samePadding(height, kernel, stride), samePadding(width, kernel, stride), [0, 0]]);
    return tf.maxPool(padded, kernel, stride, 'valid');
  });
}
