import * as tf from '@tensorflow/tfjs-core';

import type { FusedConvActivation } from '../fused-kernels/depthwise-conv.js';
import { SWISH, SWISH_GRAD } from '../fused-kernels/swish.js';
import { releaseAfterBackward } from './release-after-backward.js';
import { canUseFusedKernel } from './fused-kernel.js';

// Swish as one op with a written-out gradient: the tape keeps only x instead of x, sigmoid(x) and the product.
// Forward and backward are one pass each where the backend has the fused kernels (`EdetSwish` /
// `EdetSwishGrad` on wasm), tfjs ops elsewhere.
const swishOp = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x]);
  return {
    value: canUseFusedKernel(SWISH, [x]) ? (tf.engine().runKernel(SWISH, { x }) as tf.Tensor) : tf.mul(x, tf.sigmoid(x)),
    // tfjs runs a custom gradient outside any tidy scope; this one frees the temporaries at once.
    gradFunc: (dy: tf.Tensor, [input]: tf.Tensor[]) => tf.tidy(() => {
      let dx: tf.Tensor;
      if (canUseFusedKernel(SWISH_GRAD, [dy, input])) {
        dx = tf.engine().runKernel(SWISH_GRAD, { dy, x: input }) as tf.Tensor;
      } else {
        const sig = tf.sigmoid(input);
        // d/dx [x * sigmoid(x)] = sigmoid(x) * (1 + x * (1 - sigmoid(x)))
        dx = tf.mul(dy, tf.mul(sig, tf.add(1, tf.mul(input, tf.sub(1, sig)))));
      }
      releaseAfterBackward(dy, [input]);
      return [dx];
    }),
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]);

/** Swish (SiLU): `x * sigmoid(x)`. Same shape as `x`; the caller disposes the result. */
export function swish<T extends tf.Tensor>(x: T): T {
  // With no gradient being recorded, the fused kernel runs on its own: no custom-gradient scope to set up.
  if (tf.engine().state.gradientDepth === 0 && canUseFusedKernel(SWISH, [x])) return tf.engine().runKernel(SWISH, { x }) as T;
  return swishOp(x) as T;
}

/**
 * The activations EfficientDet uses: `swish` (the D family) or `relu6` (`min(max(x, 0), 6)`, the Lite family,
 * which quantises well).
 */
export type Activation = 'swish' | 'relu6';

/** Every `Activation`, for validation and help texts. */
export const ACTIVATIONS: readonly Activation[] = ['swish', 'relu6'];

/** `activation` applied to `x`; same shape, a new tensor the caller disposes. */
export function activate<T extends tf.Tensor>(x: T, activation: Activation): T {
  return activation === 'swish' ? swish(x) : (tf.relu6(x) as T);
}

/**
 * A fused convolution's epilogue (`FusedConvActivation`) as its own op, where the convolution ran without it:
 * same shape as `y`, a new tensor the caller disposes (`linear` returns a copy-free clone).
 */
export function applyConvActivation<T extends tf.Tensor>(y: T, activation: FusedConvActivation): T {
  if (activation === 'relu6') return tf.relu6(y) as T;
  if (activation === 'swish') return swish(y);
  if (activation === 'sigmoid') return tf.sigmoid(y) as T;
  return tf.clone(y);
}
