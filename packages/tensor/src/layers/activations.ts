import * as tf from '@tensorflow/tfjs-core';

import { releaseAfterBackward } from './release-after-backward.js';

// Swish as one op with a written-out gradient: the tape keeps only x instead of x, sigmoid(x) and the product.
const swishOp = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x]);
  return {
    value: tf.mul(x, tf.sigmoid(x)),
    // tfjs runs a custom gradient outside any tidy scope; this one frees the temporaries at once.
    gradFunc: (dy: tf.Tensor, [input]: tf.Tensor[]) => tf.tidy(() => {
      const sig = tf.sigmoid(input);
      // d/dx [x * sigmoid(x)] = sigmoid(x) * (1 + x * (1 - sigmoid(x)))
      const dx = tf.mul(dy, tf.mul(sig, tf.add(1, tf.mul(input, tf.sub(1, sig)))));
      releaseAfterBackward(dy, [input]);
      return [dx];
    }),
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]);

/** Swish (SiLU): `x * sigmoid(x)`. Same shape as `x`; the caller disposes the result. */
export function swish<T extends tf.Tensor>(x: T): T {
  return swishOp(x) as T;
}
