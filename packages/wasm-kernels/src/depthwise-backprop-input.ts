import * as tf from '@tensorflow/tfjs-core';

import { type ConvAttrs, convGeometry } from './conv-geometry.js';
import { allFiniteLarge } from './finite.js';
import { withFloat32Inputs } from './float32-inputs.js';
import { type KernelArgs, type WasmBackend, allocate, floatView, pointer, release, runWasmKernel, simd, view, wasmKernelConfig } from './wasm-backend.js';

/**
 * `DepthwiseConv2dNativeBackpropInput` for the wasm backend:
 * `dx[n, iy, ix, c] = sum_{m, p, q} dy[n, oy, ox, c * M + m] * w[p, q, c, m]` over the taps that read
 * `(iy, ix)`.
 *
 * Stride 1 is a forward depthwise conv (XNNPACK) of dy with the spatially flipped filter, padded so the
 * output has x's size. Other strides use the SIMD scatter kernel, which does the forward conv's
 * multiply-adds and no more (a zero-dilated dy would cost stride^2 times that). A channel multiplier M > 1
 * gives one result per (c, m), summed over m at the end.
 *
 * The forward conv reads zeros around dy where the cpu kernel skips those taps (0 x Inf = NaN), and XNNPACK
 * clamps NaN to +/-Infinity: so when its result is not all finite (one SIMD summing pass), the scatter
 * kernel, which multiplies only real pairs, redoes it. An empty dy or filter gives zeros.
 */

interface Attrs extends ConvAttrs {
  inputShape: [number, number, number, number];
}

/** `filter[kh-1-p, kw-1-q, ...]`: the flipped filter, as a depthwise filter with multiplier 1. */
function flipFilter(backend: WasmBackend, filter: tf.TensorInfo): tf.TensorInfo {
  const [kh, kw, channels, multiplier] = filter.shape;
  const width = channels * multiplier;
  const out = allocate(backend, [kh, kw, width, 1], false);
  const src = floatView(backend, filter);
  const dst = floatView(backend, out);
  for (let p = 0; p < kh; p++) {
    for (let q = 0; q < kw; q++) {
      const from = (p * kw + q) * width;
      dst.set(src.subarray(from, from + width), ((kh - 1 - p) * kw + (kw - 1 - q)) * width);
    }
  }
  return out;
}

function depthwiseBackpropInput({ inputs, backend, attrs }: KernelArgs<Attrs>): tf.TensorInfo {
  const { dy, filter } = inputs;
  const inputShape = attrs.inputShape;
  const [n, h, w, channels] = inputShape;
  const [kh, kw, , multiplier] = filter.shape;
  const width = channels * multiplier;
  const geo = convGeometry(inputShape, filter.shape as [number, number, number, number], attrs, true, width);
  const { info } = geo;
  const { top, left } = info.padInfo;
  // Stride-1 correlation of dy with the flipped filter: pads that make its output exactly h x w.
  const padTop = (kh - 1) * info.dilationHeight - top;
  const padLeft = (kw - 1) * info.dilationWidth - left;
  const padBottom = h - info.outHeight + top;
  const padRight = w - info.outWidth + left;
  const viaForward =
    info.strideHeight === 1 && info.strideWidth === 1 && Math.min(padTop, padLeft, padBottom, padRight) >= 0;

  if (tf.util.sizeFromShape(dy.shape) === 0 || tf.util.sizeFromShape(filter.shape) === 0) {
    return allocate(backend, [...inputShape], true);
  }

  let perOutput: tf.TensorInfo | null = null;
  if (viaForward) {
    const flipped = flipFilter(backend, filter);
    perOutput = runWasmKernel(
      'DepthwiseConv2dNative',
      { x: dy, filter: flipped },
      {
        strides: 1,
        dilations: [info.dilationHeight, info.dilationWidth],
        pad: [[0, 0], [padTop, padBottom], [padLeft, padRight], [0, 0]],
        dataFormat: 'NHWC',
      },
      backend,
    );
    release(backend, flipped);
    if (!allFiniteLarge(backend, perOutput, n * h * w, width)) {
      release(backend, perOutput);
      perOutput = null;
    }
  }
  if (perOutput === null) {
    perOutput = allocate(backend, [n, h, w, width], true);
    const [dyAt, filterAt, outAt] = [dy, filter, perOutput].map((t) => pointer(backend, t));
    simd(backend).depthwiseInputGrad(dyAt, filterAt, outAt, ...geo.args);
  }
  if (multiplier === 1) return view(perOutput, [...inputShape]);
  const perMultiplier = view(perOutput, [n, h, w, channels, multiplier]);
  const dx = runWasmKernel('Sum', { x: perMultiplier }, { axis: [4], keepDims: false }, backend);
  release(backend, perOutput);
  return dx;
}

export const depthwiseBackpropInputConfig = wasmKernelConfig(
  'DepthwiseConv2dNativeBackpropInput',
  withFloat32Inputs('DepthwiseConv2dNativeBackpropInput', depthwiseBackpropInput),
);
