import * as tf from '@tensorflow/tfjs-core';

/**
 * tfjs-core has no `stop_gradient`; this is one, built on `customGrad`: the value passes unchanged, the
 * gradient is zero. Used where a paper treats a factor as a constant (CIoU's alpha).
 */
const stopGradientOp = tf.customGrad((...inputs: Array<tf.Tensor | tf.GradSaveFunc>) => ({
  value: tf.clone(inputs[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.zerosLike(Array.isArray(dy) ? dy[0] : dy),
}));

/**
 * `x` as a new tensor the caller disposes, through which no gradient flows. `x` is not disposed.
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return stopGradientOp(x) as T;
}
