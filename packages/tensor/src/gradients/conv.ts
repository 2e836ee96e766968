import * as tf from '@tensorflow/tfjs-core';

import {
  type ConvPad,
  assertNoDilation,
  conv2dFilterGrad,
  conv2dInputGrad,
  depthwiseFilterGrad,
  depthwiseInputGrad,
} from './conv-backprop.js';
import { defineGradient, single } from './util.js';

/**
 * Gradients of the convolution kernels `Conv2D`, `DepthwiseConv2dNative` and `Conv2DBackpropInput` (the
 * forward kernel of `conv2dTranspose`). Dilation must be 1 (as in tfjs's own gradients).
 *
 * `FusedConv2D`, `FusedDepthwiseConv2D` and `_FusedMatMul` need no registration: under a gradient tape the
 * fused ops either fall back to unfused ops (any activation but linear) or wrap the fused kernel in
 * `customGrad`, whose gradient calls the backward kernels directly. That last path therefore needs
 * `Conv2DBackpropFilter` / the depthwise backward kernels on the backend, which tfjs 4.22's wasm lacks:
 * train with the plain ops (`conv2d` + `add`), as edet's layers do.
 */

interface ConvAttrs {
  strides: [number, number] | number;
  pad: ConvPad;
  dataFormat: 'NHWC' | 'NCHW';
  dilations: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** Computes one input's gradient of a forward convolution (the tape disposes the result). */
type ConvInputGrad = (dy: tf.Tensor4D, filter: tf.Tensor4D, inputShape: Shape4D, attrs: ConvAttrs) => tf.Tensor4D;
type ConvFilterGrad = (x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: Shape4D, attrs: ConvAttrs) => tf.Tensor4D;
type Shape4D = [number, number, number, number];

/** The gradient of a forward convolution kernel with inputs `x` and `filter`, from its two backward passes. */
function forwardConvGradient(kernelName: string, inputGrad: ConvInputGrad, filterGrad: ConvFilterGrad): tf.GradConfig {
  return defineGradient<ConvAttrs>({
    kernelName,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, [x, filter], attrs) => {
      assertNoDilation(kernelName, attrs.dilations);
      const g = single(dy) as tf.Tensor4D;
      const x4 = x as tf.Tensor4D;
      const filter4 = filter as tf.Tensor4D;
      return {
        x: () => inputGrad(g, filter4, x4.shape, attrs),
        filter: () => filterGrad(x4, g, filter4.shape, attrs),
      };
    },
  });
}

export const conv2dGradient = forwardConvGradient(
  'Conv2D',
  (dy, filter, inputShape, attrs) => conv2dInputGrad(dy, filter, inputShape, attrs, attrs.dataFormat),
  (x, dy, filterShape, attrs) => conv2dFilterGrad(x, dy, filterShape, attrs, attrs.dataFormat),
);

export const depthwiseConv2dGradient = forwardConvGradient('DepthwiseConv2dNative', depthwiseInputGrad, depthwiseFilterGrad);

/**
 * `Conv2DBackpropInput(dy, filter)` is linear in `dy` with the convolution as its transpose: the gradient
 * for its `dy` input is a forward conv of the incoming gradient, and for the filter it is the filter
 * gradient with the roles of x and dy swapped.
 */
export const conv2dBackpropInputGradient = defineGradient<Omit<ConvAttrs, 'dilations'>>({
  kernelName: 'Conv2DBackpropInput',
  inputsToSave: ['dy', 'filter'],
  gradFunc: (ddx, [dy, filter], attrs) => {
    const g = single(ddx) as tf.Tensor4D;
    const dy4 = dy as tf.Tensor4D;
    const filter4 = filter as tf.Tensor4D;
    return {
      dy: () => tf.conv2d(g, filter4, attrs.strides, attrs.pad, attrs.dataFormat, 1, attrs.dimRoundingMode),
      filter: () => conv2dFilterGrad(g, dy4, filter4.shape, attrs, attrs.dataFormat),
    };
  },
});

/** Every gradient of this family. */
export const convGradients: tf.GradConfig[] = [conv2dGradient, depthwiseConv2dGradient, conv2dBackpropInputGradient];
