import type * as tf from '@tensorflow/tfjs-core';

import { Module } from '../module.js';
import { Conv2d, type Conv2dOptions } from './conv2d.js';
import { DepthwiseConv2d } from './depthwise-conv2d.js';

/**
 * A convolution wrapped under the child name `conv`, the way the official EfficientDet checkpoints name it
 * (`_conv_stem.conv.weight`, `depthwise_conv.conv.weight`). Padding is TF "SAME" from the input size.
 * `forward(x)`: `[N, H, W, in]` -> `[N, ceil(H/s), ceil(W/s), out]`; the caller disposes the result.
 */
export class NamedConv2d extends Module {
  readonly conv: Conv2d;

  constructor(inChannels: number, outChannels: number, kernelSize: number, options: Conv2dOptions = {}) {
    super();
    this.conv = this.addModule('conv', new Conv2d(inChannels, outChannels, kernelSize, options));
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return this.conv.forward(x);
  }
}

/** A depthwise convolution under the child name `conv` (see `NamedConv2d`). */
export class NamedDepthwiseConv2d extends Module {
  readonly conv: DepthwiseConv2d;

  constructor(channels: number, kernelSize: number, options: { stride?: number; bias?: boolean } = {}) {
    super();
    this.conv = this.addModule('conv', new DepthwiseConv2d(channels, kernelSize, options));
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return this.conv.forward(x);
  }
}
