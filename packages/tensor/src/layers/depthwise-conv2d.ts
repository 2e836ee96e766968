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

  /** For a batch norm folded into this layer (`FoldableConvolution`): the filter's channels are its third axis. */
  readonly depthwise = true;

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const input = this.padding === 'symmetric' ? padSymmetric(x, this.kernelSize) : x;
      const padMode = this.padding === 'symmetric' ? 'valid' : 'same';
      let y = tf.depthwiseConv2d(input, this.weight as tf.Tensor4D, this.stride, padMode);
      if (this.bias) y = tf.add(y, this.bias);
      return y;
    });
  }

  /**
   * `activation(depthwiseConv(x, filter) + bias)` with this layer's stride and padding, in one fused op: the
   * inference pass of a batch norm folded into this layer. `filter` `[k, k, channels, 1]`, `bias`
   * `[channels]`; returns a new tensor the caller disposes.
   */
  forwardFused(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D, activation: 'linear' | 'relu6'): tf.Tensor4D {
    return tf.tidy(() => {
      const input = this.padding === 'symmetric' ? padSymmetric(x, this.kernelSize) : x;
      const pad = this.padding === 'symmetric' ? 'valid' : 'same';
      return tf.fused.depthwiseConv2d({ x: input, filter, strides: this.stride, pad, bias, activation });
    });
  }
}
