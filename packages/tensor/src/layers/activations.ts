import * as tf from '@tensorflow/tfjs-core';

// Swish as one op with a written-out gradient: the tape keeps only x instead of x, sigmoid(x) and the product.
const swishOp = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x]);
  return {
    value: tf.mul(x, tf.sigmoid(x)),
    gradFunc: (dy: tf.Tensor, [input]: tf.Tensor[]) => {
      const sig = tf.sigmoid(input);
      // d/dx [x * sigmoid(x)] = sigmoid(x) * (1 + x * (1 - sigmoid(x)))
      return [tf.mul(dy, tf.mul(sig, tf.add(1, tf.mul(input, tf.sub(1, sig)))))];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]);

/** Swish (SiLU): `x * sigmoid(x)`. Same shape as `x`; the caller disposes the result. */
export function swish<T extends tf.Tensor>(x: T): T {
  return swishOp(x) as T;
}
