import * as tf from '@tensorflow/tfjs-core';

import { InvalidArgumentError } from '../errors.js';
import { hasKernel, placeAxis, runKernel, spreadAxis } from './util.js';

/**
 * The backward passes of 2-D convolutions (input and filter gradients of `Conv2D` and of
 * `DepthwiseConv2dNative`). Each runs the backend's backward kernel when the active backend has one, and
 * otherwise an equivalent built from forward ops, so training works on a backend that lacks backward kernels
 * (tfjs 4.22's wasm backend has no `Conv2DBackpropFilter` and no depthwise backward kernels).
 *
 * All tensors are NHWC; filters are `[kh, kw, in, out]` (depthwise: `[kh, kw, channels, multiplier]`).
 */

/** TF-style padding argument of the tfjs conv ops. */
export type ConvPad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

/** The geometry a backward pass needs, shared by every function here. */
export interface ConvGeometry {
  strides: [number, number] | number;
  pad: ConvPad;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

type Shape4D = [number, number, number, number];

/** Throws unless the forward pass used dilation 1 (the only case the backward kernels support). */
export function assertNoDilation(kernelName: string, dilations: number | [number, number] | undefined): void {
  if (dilations !== undefined && !tf.backend_util.tupleValuesAreOne(dilations)) {
    throw new InvalidArgumentError(`${kernelName} gradient: dilations`, '1', JSON.stringify(dilations));
  }
}

/** Padding, output size and strides of the forward convolution, resolved by tfjs's own geometry code. */
function geometry(xShape: Shape4D, filterShape: Shape4D, g: ConvGeometry, depthwise: boolean) {
  const info = tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    g.strides,
    1,
    g.pad,
    g.dimRoundingMode,
    depthwise,
  );
  return {
    top: info.padInfo.top,
    left: info.padInfo.left,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    // The rows and columns of the padded input the windows actually touch.
    paddedH: (info.outHeight - 1) * info.strideHeight + info.filterHeight,
    paddedW: (info.outWidth - 1) * info.strideWidth + info.filterWidth,
  };
}

/** x with the forward's top/left padding applied and cut or zero-extended to the touched window. */
function padToWindow(x: tf.Tensor4D, top: number, left: number, height: number, width: number): tf.Tensor4D {
  return placeAxis(placeAxis(x, 1, top, height), 2, left, width) as tf.Tensor4D;
}

/**
 * dy spread out by the strides and padded by `kernel - 1` on every side: correlating this with the flipped
 * filter gives the gradient of the padded input (a "full" transposed convolution).
 */
function dilateForTranspose(dy: tf.Tensor4D, kh: number, kw: number, strideH: number, strideW: number): tf.Tensor4D {
  const [, oh, ow] = dy.shape;
  const height = (oh - 1) * strideH + 1 + 2 * (kh - 1);
  const width = (ow - 1) * strideW + 1 + 2 * (kw - 1);
  return spreadAxis(spreadAxis(dy, 1, kh - 1, strideH, height), 2, kw - 1, strideW, width) as tf.Tensor4D;
}

/** Conv2D input gradient computed from forward ops. */
export function conv2dInputGradFromOps(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: Shape4D,
  g: ConvGeometry,
): tf.Tensor4D {
  const [kh, kw] = filter.shape;
  const geo = geometry(inputShape, filter.shape, g, false);
  const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
  const paddedGrad = tf.conv2d(dilateForTranspose(dy, kh, kw, geo.strideH, geo.strideW), flipped, 1, 'valid');
  return padToWindow(paddedGrad, -geo.top, -geo.left, inputShape[1], inputShape[2]);
}

/**
 * Conv2D filter gradient computed from forward ops: `dW[p, q, i, o] = sum_{n, y, x} xpad[n, y*s + p, x*s + q, i]
 * * dy[n, y, x, o]` is a stride-1 convolution of x (batch and channels swapped) with dy as the filter,
 * dilated by the forward stride.
 */
export function conv2dFilterGradFromOps(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: Shape4D,
  g: ConvGeometry,
): tf.Tensor4D {
  const geo = geometry(x.shape, filterShape, g, false);
  const padded = padToWindow(x, geo.top, geo.left, geo.paddedH, geo.paddedW);
  const input = tf.transpose(padded, [3, 1, 2, 0]) as tf.Tensor4D; // [in, H, W, batch]
  const kernel = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [oh, ow, batch, out]
  const out = tf.conv2d(input, kernel, 1, 'valid', 'NHWC', [geo.strideH, geo.strideW]); // [in, kh, kw, out]
  return tf.transpose(out, [1, 2, 0, 3]);
}

/** Depthwise input gradient computed from forward ops (channel multiplier summed out at the end). */
export function depthwiseInputGradFromOps(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: Shape4D,
  g: ConvGeometry,
): tf.Tensor4D {
  const [kh, kw, channels, multiplier] = filter.shape;
  const geo = geometry(inputShape, filter.shape, g, true);
  // Output channel c*M + m used filter[:, :, c, m]; one depthwise filter per output channel.
  const flipped = tf.reshape(tf.reverse(filter, [0, 1]), [kh, kw, channels * multiplier, 1]) as tf.Tensor4D;
  const perOutput = tf.depthwiseConv2d(dilateForTranspose(dy, kh, kw, geo.strideH, geo.strideW), flipped, 1, 'valid');
  const [batch, height, width] = perOutput.shape;
  const paddedGrad = tf.sum(tf.reshape(perOutput, [batch, height, width, channels, multiplier]), 4) as tf.Tensor4D;
  return padToWindow(paddedGrad, -geo.top, -geo.left, inputShape[1], inputShape[2]);
}

/**
 * Depthwise filter gradient computed from forward ops: batch folded into channels (`[1, H, W, batch*C]`),
 * dy as a dilated depthwise filter, then the batch summed out.
 */
export function depthwiseFilterGradFromOps(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: Shape4D,
  g: ConvGeometry,
): tf.Tensor4D {
  const [kh, kw, channels, multiplier] = filterShape;
  const [batch] = x.shape;
  const [, oh, ow] = dy.shape;
  const geo = geometry(x.shape, filterShape, g, true);
  const padded = padToWindow(x, geo.top, geo.left, geo.paddedH, geo.paddedW);
  const input = tf.reshape(tf.transpose(padded, [1, 2, 0, 3]), [1, geo.paddedH, geo.paddedW, batch * channels]);
  const kernel = tf.reshape(tf.transpose(tf.reshape(dy, [batch, oh, ow, channels, multiplier]), [1, 2, 0, 3, 4]), [
    oh,
    ow,
    batch * channels,
    multiplier,
  ]);
  const out = tf.depthwiseConv2d(input as tf.Tensor4D, kernel as tf.Tensor4D, 1, 'valid', 'NHWC', [
    geo.strideH,
    geo.strideW,
  ]); // [1, kh, kw, batch*C*M]
  return tf.sum(tf.reshape(out, [kh, kw, batch, channels, multiplier]), 2) as tf.Tensor4D;
}

/**
 * Runs the backward kernel `kernelName` with the forward's geometry plus `extra` attributes when `useKernel`,
 * and otherwise the forward-op equivalent `fromOps`. The caller disposes the returned tensor (or lets a tidy or
 * the gradient tape do it).
 */
function kernelOrOps(
  kernelName: string,
  useKernel: boolean,
  inputs: tf.NamedTensorMap,
  g: ConvGeometry,
  extra: object,
  fromOps: () => tf.Tensor4D,
): tf.Tensor4D {
  if (!useKernel) return fromOps();
  const attrs = { strides: g.strides, pad: g.pad, dimRoundingMode: g.dimRoundingMode, ...extra };
  return runKernel(kernelName, inputs, attrs) as tf.Tensor4D;
}

/** Gradient of a Conv2D with respect to its input: the `Conv2DBackpropInput` kernel, or forward ops. */
export function conv2dInputGrad(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: Shape4D,
  g: ConvGeometry,
  dataFormat: 'NHWC' | 'NCHW' = 'NHWC',
): tf.Tensor4D {
  const useKernel = hasKernel('Conv2DBackpropInput') || dataFormat !== 'NHWC';
  return kernelOrOps('Conv2DBackpropInput', useKernel, { dy, filter }, g, { dataFormat, inputShape }, () =>
    conv2dInputGradFromOps(dy, filter, inputShape, g),
  );
}

/** Gradient of a Conv2D with respect to its filter: the `Conv2DBackpropFilter` kernel, or forward ops. */
export function conv2dFilterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: Shape4D,
  g: ConvGeometry,
  dataFormat: 'NHWC' | 'NCHW' = 'NHWC',
): tf.Tensor4D {
  const useKernel = hasKernel('Conv2DBackpropFilter') || dataFormat !== 'NHWC';
  return kernelOrOps('Conv2DBackpropFilter', useKernel, { x, dy }, g, { dataFormat, filterShape }, () =>
    conv2dFilterGradFromOps(x, dy, filterShape, g),
  );
}

/** Gradient of a depthwise conv with respect to its input: the backward kernel, or forward ops. */
export function depthwiseInputGrad(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: Shape4D,
  g: ConvGeometry,
): tf.Tensor4D {
  const kernelName = 'DepthwiseConv2dNativeBackpropInput';
  return kernelOrOps(kernelName, hasKernel(kernelName), { dy, filter }, g, { dilations: 1, inputShape }, () =>
    depthwiseInputGradFromOps(dy, filter, inputShape, g),
  );
}

/** Gradient of a depthwise conv with respect to its filter: the backward kernel, or forward ops. */
export function depthwiseFilterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: Shape4D,
  g: ConvGeometry,
): tf.Tensor4D {
  const kernelName = 'DepthwiseConv2dNativeBackpropFilter';
  return kernelOrOps(kernelName, hasKernel(kernelName), { x, dy }, g, { dilations: 1, filterShape }, () =>
    depthwiseFilterGradFromOps(x, dy, filterShape, g),
  );
}
