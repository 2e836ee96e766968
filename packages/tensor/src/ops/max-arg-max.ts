import * as tf from '@tensorflow/tfjs-core';

import { describeValue } from '../check-options.js';
import { InvalidArgumentError, formatShape } from '../errors.js';
import { MAX_ARG_MAX } from '../fused-kernels/max-arg-max.js';
import { canUseFusedKernel } from '../layers/fused-kernel.js';

/**
 * The maximum over the last axis and where it is, as `[tf.max(x, -1), tf.argMax(x, -1)]` give them (the
 * first index of equal maxima; NaN as tfjs's cpu backend treats it, see `MAX_ARG_MAX`). One pass over `x`
 * where the active backend has the fused kernel (`@edet/wasm-kernels` registers it on wasm) and `x` is
 * float32; those two tfjs ops elsewhere. Not differentiable (it picks, like `argMax`).
 *
 * @param x `[..., C]`, rank >= 1.
 * @returns `[max, argMax]`, each `[...]`: float32 (x's dtype on the composed path) and int32. New tensors the
 *   caller disposes; `x` is not disposed.
 */
export function maxArgMax(x: tf.Tensor): [tf.Tensor, tf.Tensor] {
  if (!(x instanceof tf.Tensor)) throw new InvalidArgumentError('x', 'a tf.Tensor', describeValue(x));
  if (x.rank < 1) throw new InvalidArgumentError('x', 'a tensor of rank >= 1 ([..., C])', formatShape(x.shape));
  if (canUseFusedKernel(MAX_ARG_MAX, [x])) {
    return tf.engine().runKernel(MAX_ARG_MAX, { x }) as unknown as [tf.Tensor, tf.Tensor];
  }
  return tf.tidy(() => [tf.max(x, -1), tf.argMax(x, -1)]);
}
