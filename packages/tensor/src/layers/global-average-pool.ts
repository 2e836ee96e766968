import * as tf from '@tensorflow/tfjs-core';

/**
 * Mean over the spatial axes, `[N, H, W, C]` -> `[N, 1, 1, C]`; the caller disposes the result.
 *
 * Reduces width then height rather than all H*W cells at once: backends that accumulate in float32 (wasm)
 * lose about 1e-3 over 65k cells in one pass, enough to move EfficientDet's outputs past 1e-4; two passes
 * of ~256 keep the error at float32 rounding. The mean of equal-sized row means is the overall mean.
 */
export function globalAveragePool(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.mean(tf.mean(x, 2, true), 1, true) as tf.Tensor4D);
}
