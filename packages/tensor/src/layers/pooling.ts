import * as tf from '@tensorflow/tfjs-core';

import { PADDED_MAX_POOL, type PaddedMaxPoolAttrs } from '../fused-kernels/padded-max-pool.js';
import { canUseFusedKernel } from './fused-kernel.js';
import { samePadding } from './padding.js';

/**
 * What a "SAME" max-pool pads its input with, a property of the checkpoint's origin:
 * - `zero`: zylo117's EfficientDet pads with zeros explicitly, then pools without padding, so a padded edge
 *   wins every window whose real values are all negative;
 * - `neg-inf`: the official TF EfficientDet and effdet (rwightman) pad so that the padding never wins.
 */
export type PoolPadding = 'zero' | 'neg-inf';

/** Every `PoolPadding`, for validation and help texts. */
export const POOL_PADDINGS: readonly PoolPadding[] = ['zero', 'neg-inf'];


/**
 * Max pooling with TF "SAME" geometry (the smaller half of the padding first) and the padding value of
 * `padding`. `[N, H, W, C]` -> `[N, ceil(H/stride), ceil(W/stride), C]`; the caller disposes the result.
 * In a pass that records no gradient, where the backend has `EdetPaddedMaxPool` (wasm with
 * `@edet/wasm-kernels`), one kernel without the padded copy; otherwise a pad and a max-pool.
 */
export function maxPoolSame(x: tf.Tensor4D, padding: PoolPadding, kernel = 3, stride = 2): tf.Tensor4D {
  const [, height, width] = x.shape;
  const [top, bottom] = samePadding(height, kernel, stride);
  const [left, right] = samePadding(width, kernel, stride);
  const padValue = padding === 'zero' ? 0 : Number.NEGATIVE_INFINITY;
  if (tf.engine().state.gradientDepth === 0 && canUseFusedKernel(PADDED_MAX_POOL, [x])) {
    const attrs: PaddedMaxPoolAttrs = { filterSize: kernel, stride, pads: [top, bottom, left, right], padValue };
    return tf.engine().runKernel(PADDED_MAX_POOL, { x }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  }
  return tf.tidy(() => {
    const pads: [number, number][] = [[0, 0], [top, bottom], [left, right], [0, 0]];
    // One explicit pad for both semantics, so they share the TF "SAME" geometry exactly; -inf never wins
    // a window that holds a real value, which is what TF's padded max-pool means.
    const padded = tf.pad(x, pads, padValue);
    return tf.maxPool(padded, kernel, stride, 'valid');
  });
}

/**
 * Max pooling with TF "SAME" geometry but **zero** padding, as zylo117's EfficientDet does (it pads with
 * zeros explicitly, then pools without padding). With -inf padding the results differ wherever a window at
 * the bottom/right edge holds only negative values. `maxPoolSame(x, 'zero', kernel, stride)`.
 *
 * `[N, H, W, C]` -> `[N, ceil(H/stride), ceil(W/stride), C]`; the caller disposes the result.
 */
export function maxPoolSameZeroPad(x: tf.Tensor4D, kernel = 3, stride = 2): tf.Tensor4D {
  return maxPoolSame(x, 'zero', kernel, stride);
}
