import * as tf from '@tensorflow/tfjs-core';

import type { FusedConvActivation } from '../fused-kernels/depthwise-conv.js';
import { DIRECT_CONV, type DirectConvAttrs } from '../fused-kernels/direct-conv.js';
import { POINTWISE_CONV, type PointwiseConvAttrs } from '../fused-kernels/pointwise-conv.js';
import { Module } from '../module.js';
import { applyConvActivation, swish } from './activations.js';
import { canUseFusedKernel } from './fused-kernel.js';
import { type GateAndResidual, addResidual, gateInput } from './gate-and-residual.js';
import type { ConvPadding } from './padding.js';
import { heNormal } from './init.js';

// Up to this many input channels a k x k convolution runs the direct kernel (the stem has 3); wider ones
// are matrix products, which tfjs's kernels do better.
const DIRECT_CONV_MAX_INPUT_CHANNELS = 8;

/** Options of a 2-D convolution. */
export interface Conv2dOptions {
  /** Stride in both directions (default 1). */
  stride?: number;
  /** Whether the layer has a bias (default true). */
  bias?: boolean;
  /** `same` (TF SAME, the default) or `symmetric` (`kernel // 2` on every side). */
  padding?: ConvPadding;
}

/**
 * A 2-D convolution over NHWC input.
 *
 * Parameters: `weight` (checkpoint layout `[out, in, k, k]`), optional `bias` `[out]`.
 * `forward(x)`: `[N, H, W, in]` -> `[N, ceil(H/stride), ceil(W/stride), out]`; returns a new tensor the
 * caller disposes.
 */
export class Conv2d extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;
  readonly stride: number;
  readonly padding: ConvPadding;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number,
    options: Conv2dOptions = {},
  ) {
    super();
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 'same';
    this.weight = this.addParameter(
      'weight',
      heNormal([kernelSize, kernelSize, inChannels, outChannels], kernelSize * kernelSize * outChannels),
      'conv',
    );
    this.bias = (options.bias ?? true) ? this.addParameter('bias', tf.zeros([outChannels])) : null;
  }

  /** For a batch norm folded into this layer (`FoldableConvolution`): the filter's channels are its last axis. */
  readonly depthwise = false;

  forward(x: tf.Tensor4D): tf.Tensor4D {
    const bias = this.bias as tf.Tensor1D | null;
    if (this.fusedKernelRuns([x, this.weight, ...(bias ? [bias] : [])])) return this.runFusedKernel(x, this.weight as tf.Tensor4D, bias, 'linear');
    return tf.tidy(() => {
      const input = this.padding === 'symmetric' ? padSymmetric(x, this.kernelSize) : x;
      const padMode = this.padding === 'symmetric' ? 'valid' : 'same';
      let y = tf.conv2d(input, this.weight as tf.Tensor4D, this.stride, padMode);
      if (this.bias) y = tf.add(y, this.bias);
      return y;
    });
  }

  /**
   * `activation(this.forward(x))`, the activation in the convolution's output pass where the layer runs a
   * fused kernel (no gradient recorded; 1x1 stride 1 with `EdetPointwiseConv2d` registered, or up to 8
   * input channels with `EdetConv2d`), else as its own op.
   * `[N, H, W, in]` -> `[N, H', W', out]`; returns a new tensor the caller disposes.
   */
  forwardActivated(x: tf.Tensor4D, activation: FusedConvActivation): tf.Tensor4D {
    const bias = this.bias as tf.Tensor1D | null;
    if (this.fusedKernelRuns([x, this.weight, ...(bias ? [bias] : [])])) return this.runFusedKernel(x, this.weight as tf.Tensor4D, bias, activation);
    return tf.tidy(() => {
      return applyConvActivation(this.forward(x), activation);
    });
  }

  /**
   * `activation(conv(x, filter) + bias)` with this layer's stride and padding, in one fused op (the bias and
   * activation in the convolution's output pass): the inference pass of a batch norm folded into this layer.
   * `filter` `[k, k, in, out]`, `bias` `[out]`. `extras`: the input scaled by `inputScale` `[N, in]` and
   * `residual` added to the output, in the same op for a 1x1 convolution with `EdetPointwiseConv2d`
   * (which scales the filter per image instead of the map), else as ops of their own. Returns a new tensor
   * the caller disposes.
   */
  forwardFused(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D, activation: 'linear' | 'relu6' | 'swish', extras: GateAndResidual = {}): tf.Tensor4D {
    const { inputScale, residual } = extras;
    const pointwise = this.kernelSize === 1 && this.stride === 1;
    const extraTensors = [...(inputScale ? [inputScale] : []), ...(residual ? [residual] : [])];
    if (extraTensors.length > 0 && !(pointwise && this.fusedKernelRuns([x, filter, bias, ...extraTensors]))) {
      return tf.tidy(() => addResidual(this.forwardFused(gateInput(x, inputScale), filter, bias, activation), residual));
    }
    if (this.fusedKernelRuns([x, filter, bias])) return this.runFusedKernel(x, filter, bias, activation, extras);
    return tf.tidy(() => {
      const input = this.padding === 'symmetric' ? padSymmetric(x, this.kernelSize) : x;
      const pad = this.padding === 'symmetric' ? 'valid' : 'same';
      const y = tf.fused.conv2d({ x: input, filter, strides: this.stride, pad, bias, activation: activation === 'relu6' ? 'relu6' : 'linear' });
      return activation === 'swish' ? swish(y) : y;
    });
  }

  // In a pass that records no gradient, where the backend has them, a 1x1 stride-1 convolution runs the
  // fused matrix-product kernel (`EdetPointwiseConv2d`) and one of few input channels (the stem) the direct
  // one (`EdetConv2d`); neither has a gradient.
  private fusedKernelRuns(tensors: tf.Tensor[]): boolean {
    if (tf.engine().state.gradientDepth !== 0) return false;
    if (this.kernelSize === 1 && this.stride === 1) return canUseFusedKernel(POINTWISE_CONV, tensors);
    return this.inChannels <= DIRECT_CONV_MAX_INPUT_CHANNELS && canUseFusedKernel(DIRECT_CONV, tensors);
  }

  private runFusedKernel(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D | null, activation: FusedConvActivation, extras: GateAndResidual = {}): tf.Tensor4D {
    const inputs: tf.NamedTensorMap = bias ? { x, filter, bias } : { x, filter };
    if (this.kernelSize === 1 && this.stride === 1) {
      if (extras.inputScale) inputs.inputScale = extras.inputScale;
      if (extras.residual) inputs.residual = extras.residual;
      const attrs: PointwiseConvAttrs = { activation };
      return tf.engine().runKernel(POINTWISE_CONV, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
    }
    const p = Math.floor(this.kernelSize / 2);
    const pad: DirectConvAttrs['pad'] = this.padding === 'symmetric' ? [[0, 0], [p, p], [p, p], [0, 0]] : 'same';
    const attrs: DirectConvAttrs = { strides: [this.stride, this.stride], dilations: [1, 1], pad, activation };
    return tf.engine().runKernel(DIRECT_CONV, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  }
}

/** Pads `kernel // 2` zeros on every spatial side (PyTorch's `padding=k//2`). */
export function padSymmetric<T extends tf.Tensor4D>(x: T, kernel: number): T {
  const p = Math.floor(kernel / 2);
  return tf.pad(x, [
    [0, 0],
    [p, p],
    [p, p],
    [0, 0],
  ]);
}
