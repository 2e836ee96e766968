import * as tf from '@tensorflow/tfjs-core';

import { DEPTHWISE_CONV, type FusedConvActivation, type DepthwiseConvAttrs } from '../fused-kernels/depthwise-conv.js';
import { Module } from '../module.js';
import { swish } from './activations.js';
import { canUseFusedKernel } from './fused-kernel.js';
import { type GateAndResidual, addResidual, gateInput } from './gate-and-residual.js';
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
    const bias = this.bias as tf.Tensor1D | null;
    if (this.fusedKernelRuns([x, this.weight, ...(bias ? [bias] : [])])) return this.runFusedKernel(x, this.weight as tf.Tensor4D, bias, 'linear');
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
   * `[channels]`; `extras` (a gate on the input, a residual on the output) as ops of their own. Returns a new
   * tensor the caller disposes.
   */
  forwardFused(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D, activation: FusedConvActivation, extras: GateAndResidual = {}): tf.Tensor4D {
    if (extras.inputScale !== undefined || extras.residual !== undefined) {
      return tf.tidy(() => addResidual(this.forwardFused(gateInput(x, extras.inputScale), filter, bias, activation), extras.residual));
    }
    if (this.fusedKernelRuns([x, filter, bias])) return this.runFusedKernel(x, filter, bias, activation);
    return tf.tidy(() => {
      const input = this.padding === 'symmetric' ? padSymmetric(x, this.kernelSize) : x;
      const pad = this.padding === 'symmetric' ? 'valid' : 'same';
      const y = tf.fused.depthwiseConv2d({ x: input, filter, strides: this.stride, pad, bias, activation: activation === 'relu6' ? 'relu6' : 'linear' });
      return activation === 'swish' ? swish(y) : y;
    });
  }

  // The fused kernel (`EdetDepthwiseConv2d`) has no gradient: it runs only when none is being recorded.
  private fusedKernelRuns(tensors: tf.Tensor[]): boolean {
    return tf.engine().state.gradientDepth === 0 && canUseFusedKernel(DEPTHWISE_CONV, tensors);
  }

  private runFusedKernel(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D | null, activation: FusedConvActivation): tf.Tensor4D {
    const p = Math.floor(this.kernelSize / 2);
    const attrs: DepthwiseConvAttrs = {
      strides: [this.stride, this.stride],
      dilations: [1, 1],
      // 'symmetric' is PyTorch's `padding=k//2`: the same zeros as padSymmetric, without the padded copy.
      pad: this.padding === 'symmetric' ? [[0, 0], [p, p], [p, p], [0, 0]] : 'same',
      activation,
    };
    const inputs: tf.NamedTensorMap = bias ? { x, filter, bias } : { x, filter };
    return tf.engine().runKernel(DEPTHWISE_CONV, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  }
}
