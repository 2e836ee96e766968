import * as tf from '@tensorflow/tfjs-core';

/**
 * Nearest-neighbour upsampling by an integer factor: every pixel becomes a `factor x factor` block.
 * Built from reshape + tile rather than `resizeNearestNeighbor`, so its gradient is a plain sum on every
 * backend. `[N, H, W, C]` -> `[N, H*f, W*f, C]`; the caller disposes the result.
 */
export function upsampleNearest(x: tf.Tensor4D, factor = 2): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const expanded = tf.reshape(x, [n, h, 1, w, 1, c]);
    const tiled = tf.tile(expanded, [1, 1, factor, 1, factor, 1]);
    return tf.reshape(tiled, [n, h * factor, w * factor, c]);
  });
}
