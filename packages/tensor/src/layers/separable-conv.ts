import * as tf from '@tensorflow/tfjs-core';

import type { FusedConvActivation } from '../fused-kernels/depthwise-conv.js';
import { Module } from '../module.js';
import { type Activation, applyConvActivation, swish } from './activations.js';
import { BatchNorm2d } from './batch-norm.js';
import { NamedConv2d, NamedDepthwiseConv2d } from './static-same-conv.js';

/** Options of a `SeparableConvBlock`. */
export interface SeparableConvOptions {
  /** Output channels (default: same as input). */
  outChannels?: number;
  /** Add a batch norm (`bn`) after the pointwise conv (default true). */
  norm?: boolean;
  /** Apply swish at the end (default false). */
  activation?: boolean;
  /**
   * Give the pointwise conv a bias (default true). Where a batch norm follows, the bias is redundant: effdet's
   * `redundant_bias=False` models (the Lite family) have none.
   */
  pointwiseBias?: boolean;
}

/**
 * 3x3 depthwise conv (no bias) -> 1x1 pointwise conv (with bias unless `pointwiseBias: false`) -> optional BN -> optional swish:
 * the building block of the BiFPN and the heads. Children: `depthwise_conv`, `pointwise_conv`, `bn`.
 * `forward(x)`: `[N, H, W, in]` -> `[N, H, W, out]`; the caller disposes the result.
 */
export class SeparableConvBlock extends Module {
  readonly depthwiseConv: NamedDepthwiseConv2d;
  readonly pointwiseConv: NamedConv2d;
  readonly bn: BatchNorm2d | null;
  readonly activation: boolean;

  constructor(inChannels: number, options: SeparableConvOptions = {}) {
    super();
    const outChannels = options.outChannels ?? inChannels;
    this.depthwiseConv = this.addModule('depthwise_conv', new NamedDepthwiseConv2d(inChannels, 3, { bias: false }));
    this.pointwiseConv = this.addModule('pointwise_conv', new NamedConv2d(inChannels, outChannels, 1, { bias: options.pointwiseBias ?? true }));
    this.bn = (options.norm ?? true) ? this.addModule('bn', new BatchNorm2d(outChannels)) : null;
    this.activation = options.activation ?? false;
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const depthwise = this.depthwiseConv.forward(x);
      if (this.bn) return this.bn.forwardConv(this.pointwiseConv.conv, depthwise, this.activation ? 'swish' : undefined);
      const y = this.pointwiseConv.forward(depthwise);
      return this.activation ? swish(y) : y;
    });
  }

  /**
   * `activation(this.forward(x))`: for a block without norm or activation of its own (a head's prediction
   * layer), the activation runs in the pointwise convolution's output pass where that has a fused kernel.
   * `[N, H, W, in]` -> `[N, H, W, out]`; the caller disposes the result.
   */
  forwardActivated(x: tf.Tensor4D, activation: FusedConvActivation): tf.Tensor4D {
    if (this.bn !== null || this.activation) {
      return tf.tidy(() => {
        return applyConvActivation(this.forward(x), activation);
      });
    }
    return tf.tidy(() => this.pointwiseConv.conv.forwardActivated(this.depthwiseConv.forward(x), activation));
  }

  /**
   * `activation(norm(this.forward(x)))` for a block built without its own norm (`norm: false`), with the
   * norm given: the heads share their convolutions across levels but not their norms. In inference mode the
   * norm is folded into the pointwise convolution (see `BatchNorm2d.forwardConv`).
   * `[N, H, W, in]` -> `[N, H, W, out]`; the caller disposes the result.
   */
  forwardNormalized(x: tf.Tensor4D, norm: BatchNorm2d, activation: Activation): tf.Tensor4D {
    return tf.tidy(() => norm.forwardConv(this.pointwiseConv.conv, this.depthwiseConv.forward(x), activation));
  }
}
