import * as tf from '@tensorflow/tfjs-core';

import { ALL_FINITE } from '../fused-kernels/all-finite.js';
import { canUseFusedKernel } from '../layers/fused-kernel.js';

/**
 * Whether every value of `x` is finite (no NaN, no +/-Infinity): a bool scalar, true for an empty `x`. One
 * pass of `EdetAllFinite` where the active backend has it (wasm with `@edet/wasm-kernels`) and `x` is
 * float32; `tf.all(tf.isFinite(x))` elsewhere. Records no gradient.
 *
 * Memory: returns a new scalar the caller disposes; `x` is the caller's.
 */
export function allFinite(x: tf.Tensor): tf.Scalar {
  if (canUseFusedKernel(ALL_FINITE, [x])) return tf.engine().runKernel(ALL_FINITE, { x }, {}) as tf.Scalar;
  // tfjs's `all` of nothing is false on some backends; no value is not finite.
  if (x.size === 0) return tf.scalar(true, 'bool');
  return tf.tidy(() => tf.all(tf.isFinite(x)));
}
