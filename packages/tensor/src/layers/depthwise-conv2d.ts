import * as tf from '@tensorflow/tfjs-core';

import { Module } from '../module.js';
import { heNormal } from './init.js';
import type { ConvPadding } from './padding.js';
import { padSymmetric } from './conv2d.js';

/**
 * A depthwise 2-D convolution (one filter per channel, PyTorch `groups = channels`) over NHWC input.
 *
 * Parameters: `weight` (checkpoint layout `[channels, 1, k, k]`), optional `bias` `[channels]`.
 * `forward(x)`: `[N, H, W, C]` -> `[N, ceil(H/stride), ceil(W/stride), C]`; the caller disposes the result.
 */
export class DepthwiseConv2d extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;
  readonly stride: number;
  readonly padding: ConvPadding;

  constructor(
    readonly channels: number,
    readonly kernelSize: number,
    options: { stride?: number; bias?: boolean; padding?: ConvPadding } = {},
  ) {
    super();
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 'same';
    this.weight = this.addParameter('weight', heNormal([kernelSize, kernelSize, channels, 1], kernelSize * kernelSize), 'depthwise');
    this.bias = options.bias ? this.addParameter('bias', tf.zeros([channels])) : null;
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const input = this.padding === 'symmetric' ? padSymmetric(x, this.kernelSize) : x;
      const padMode = this.padding === 'symmetric' ? 'valid' : 'same';
      let y = tf.depthwiseConv2d(input, this.weight as tf.Tensor4D, this.stride, padMode);
      if (this.bias) y = tf.add(y, this.bias);
      return y;
    });
  }
}
