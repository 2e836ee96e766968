import * as tf from '@tensorflow/tfjs-core';

import { WasmKernelError } from './errors.js';

/**
 * The geometry of a 2-D NHWC convolution as the SIMD kernels take it (`GEOMETRY_PARAMS` order), resolved by
 * tfjs's own `computeConv2DInfo` so padding, output size and rounding match the forward kernels exactly.
 */

/** TF-style padding argument of the tfjs conv kernels. */
export type PadAttr = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

/** The attributes a backward convolution kernel receives. */
export interface ConvAttrs {
  strides: number | [number, number];
  pad: PadAttr;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

type Shape4D = [number, number, number, number];

/** The attributes a filter-gradient kernel receives: the forward's geometry and the filter's shape. */
export interface FilterGradAttrs extends ConvAttrs {
  filterShape: Shape4D;
}

export interface ConvGeometry {
  info: tf.backend_util.Conv2DInfo;
  /**
   * `[batch, inH, inW, channels, outH, outW, filterH, filterW, strideH, strideW, dilationH, dilationW, padTop,
   * padLeft]`.
   */
  args: number[];
  /** True when some tap of some output falls outside the input (into the padding). */
  padded: boolean;
}

/** Resolves the geometry; `channels` is the channel count the SIMD kernel iterates over. */
export function convGeometry(
  xShape: Shape4D,
  filterShape: Shape4D,
  attrs: ConvAttrs,
  depthwise: boolean,
  channels: number = xShape[3],
): ConvGeometry {
  if (attrs.dataFormat === 'NCHW') {
    throw new WasmKernelError('wasm training kernels support NHWC only (as do the wasm forward convs)');
  }
  const info = tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    depthwise,
  );
  const { top, left } = info.padInfo;
  const args = [
    info.batchSize,
    info.inHeight,
    info.inWidth,
    channels,
    info.outHeight,
    info.outWidth,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.dilationHeight,
    info.dilationWidth,
    top,
    left,
  ];
  // The last window's far edge, in input coordinates, past the input's end means bottom/right padding.
  const pastBottom = (info.outHeight - 1) * info.strideHeight + info.effectiveFilterHeight - top > info.inHeight;
  const pastRight = (info.outWidth - 1) * info.strideWidth + info.effectiveFilterWidth - left > info.inWidth;
  return { info, args, padded: top > 0 || left > 0 || pastBottom || pastRight };
}
