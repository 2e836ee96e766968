import * as tf from '@tensorflow/tfjs-core';

/**
 * What a convolution's inference pass may take in besides its input (`EdetPointwiseConv2d`'s `inputScale`
 * and `residual`): the squeeze-and-excitation gate on its input and the skip connection on its output, so
 * that an EfficientNet block's projection needs no pass over the map of its own for either.
 */
export interface GateAndResidual {
  /** `[N, in]`: multiplies every pixel of its image's input, channel by channel (a squeeze-and-excitation gate). */
  inputScale?: tf.Tensor2D;
  /** `[N, H', W', out]`, the output's shape: added after the activation (a skip connection). */
  residual?: tf.Tensor4D;
}

/** `x * inputScale` per image and channel, as ops (`x` itself without a scale); `[N, H, W, C]` -> same. */
export function gateInput(x: tf.Tensor4D, inputScale?: tf.Tensor2D): tf.Tensor4D {
  if (inputScale === undefined) return x;
  const [n, channels] = inputScale.shape;
  return tf.mul(x, tf.reshape(inputScale, [n, 1, 1, channels]));
}

/** `y + residual`, as an op (`y` itself without one). */
export function addResidual(y: tf.Tensor4D, residual?: tf.Tensor4D): tf.Tensor4D {
  return residual === undefined ? y : tf.add(y, residual);
}
