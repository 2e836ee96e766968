import * as tf from '@tensorflow/tfjs-core';

import { SQUEEZE_EXCITE } from '../fused-kernels/squeeze-excite.js';
import { swish } from './activations.js';
import type { Conv2d } from './conv2d.js';
import { canUseFusedKernel } from './fused-kernel.js';
import { globalAveragePool } from './global-average-pool.js';

/**
 * Squeeze-and-excitation (EfficientNet's channel gate): `x * sigmoid(expand(swish(reduce(mean))))` with
 * `mean` `[N, 1, 1, C]` the global average pool of `x`, `reduce` a 1x1 convolution `C -> S` and `expand` one
 * `S -> C`, both with a bias. In a pass that records no gradient, where the backend has `EdetSqueezeExcite`
 * (wasm with `@edet/wasm-kernels`), one fused kernel; otherwise the composed ops.
 * `[N, H, W, C]` -> `[N, H, W, C]`; returns a new tensor the caller disposes.
 */
export function squeezeExcite(x: tf.Tensor4D, reduce: Conv2d, expand: Conv2d): tf.Tensor4D {
  const { bias: reduceBias, weight: reduceFilter } = reduce;
  const { bias: expandBias, weight: expandFilter } = expand;
  const fused =
    [reduce, expand].every((conv) => conv.kernelSize === 1 && conv.stride === 1) &&
    reduceBias !== null &&
    expandBias !== null &&
    tf.engine().state.gradientDepth === 0 &&
    canUseFusedKernel(SQUEEZE_EXCITE, [x, reduceFilter, reduceBias, expandFilter, expandBias]);
  if (fused) return tf.engine().runKernel(SQUEEZE_EXCITE, { x, reduceFilter, reduceBias, expandFilter, expandBias }) as tf.Tensor4D;
  return tf.tidy(() => {
    const gate = tf.sigmoid(expand.forward(swish(reduce.forward(globalAveragePool(x)))));
    return tf.mul(x, gate);
  });
}
