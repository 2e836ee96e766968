import * as tf from '@tensorflow/tfjs-core';

/** Swish (SiLU): `x * sigmoid(x)`. Same shape as `x`; the caller disposes the result. */
export function swish<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(x)));
}
