import * as tf from '@tensorflow/tfjs-core';

import { conv2dBackpropFilterExact } from './conv2d-backprop-filter-exact.js';
import { type FilterGradAttrs, type PadAttr, convGeometry } from './conv-geometry.js';
import { allFinite } from './finite.js';
import { withFloat32Inputs } from './float32-inputs.js';
import { type KernelArgs, allocate, pointer, release, runWasmKernel, simd, view, wasmKernelConfig } from './wasm-backend.js';

/**
 * `Conv2DBackpropFilter` for the wasm backend, as one matrix product:
 *
 *   dW[(p, q, i), o] = sum_P cols[P, (p, q, i)] * dy[P, o],   P = (n, oy, ox),
 *
 * where `cols` is the im2col matrix of x (x itself, viewed `[P, in]`, for an unpadded 1x1 stride-1 conv).
 * The product contracts the long P axis of both operands, a poor fit for the backend's BatchMatMul (it
 * would need a transposed copy of one operand and re-packs the other as weights on every call), so the SIMD
 * `matmulTN` kernel computes it from both operands in place.
 *
 * The padding's zeros in `cols` are multiplied where tfjs's cpu kernel skips them, which differs only where
 * they meet an infinite dy (0 x Inf = NaN): a padded conv whose dW has NaN is redone exactly
 * (`conv2dBackpropFilterExact`). The check reads dW only, which is small. An empty x or dy gives zeros.
 * NCHW x and dy (which tfjs's cpu kernel takes) are transposed to NHWC first; the filter is HWIO either way.
 */

function conv2dBackpropFilter(args: KernelArgs<FilterGradAttrs>): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  if (attrs.dataFormat === 'NCHW') {
    if (tf.util.sizeFromShape(inputs.x.shape) === 0 || tf.util.sizeFromShape(inputs.dy.shape) === 0) {
      return allocate(backend, [...attrs.filterShape], true);
    }
    const toNhwc = (info: tf.TensorInfo) => runWasmKernel('Transpose', { x: info }, { perm: [0, 2, 3, 1] }, backend);
    const [x, dy] = [toNhwc(inputs.x), toNhwc(inputs.dy)];
    // Explicit padding is given per axis of the data format: [[0, 0], [0, 0], top/bottom, left/right] for NCHW.
    const pad = Array.isArray(attrs.pad) ? [attrs.pad[0], attrs.pad[2], attrs.pad[3], attrs.pad[1]] : attrs.pad;
    try {
      return conv2dBackpropFilter({ inputs: { x, dy }, backend, attrs: { ...attrs, pad: pad as PadAttr, dataFormat: 'NHWC' } });
    } finally {
      release(backend, x, dy);
    }
  }
  const { x, dy } = inputs;
  const { filterShape } = attrs;
  const [kh, kw, inChannels, outChannels] = filterShape;
  const geo = convGeometry(x.shape as [number, number, number, number], filterShape, attrs, false);
  const { info } = geo;
  const positions = info.batchSize * info.outHeight * info.outWidth;
  const patch = kh * kw * inChannels;
  if (positions === 0 || patch === 0 || outChannels === 0) return allocate(backend, [...filterShape], true);

  const identityPatches = kh === 1 && kw === 1 && info.strideHeight === 1 && info.strideWidth === 1 && !geo.padded;
  let cols = x;
  if (!identityPatches) {
    cols = allocate(backend, [positions, patch], geo.padded);
    simd(backend).im2col(pointer(backend, x), pointer(backend, cols), ...geo.args);
  }
  const dw = allocate(backend, [patch, outChannels], true);
  const [colsAt, dyAt, dwAt] = [cols, dy, dw].map((t) => pointer(backend, t));
  simd(backend).matmulTN(colsAt, dyAt, dwAt, positions, patch, outChannels);
  if (!identityPatches) release(backend, cols);
  if (geo.padded && !allFinite(backend, dw)) {
    release(backend, dw);
    return conv2dBackpropFilterExact(backend, x, dy, info);
  }
  return view(dw, [...filterShape]);
}

export const conv2dBackpropFilterConfig = wasmKernelConfig(
  'Conv2DBackpropFilter',
  withFloat32Inputs('Conv2DBackpropFilter', conv2dBackpropFilter),
);
