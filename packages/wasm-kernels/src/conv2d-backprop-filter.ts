import * as tf from '@tensorflow/tfjs-core';

import { conv2dBackpropFilterExact } from './conv2d-backprop-filter-exact.js';
import { type FilterGradAttrs, convGeometry } from './conv-geometry.js';
import { allFinite } from './finite.js';
import { withFloat32Inputs } from './float32-inputs.js';
import { type KernelArgs, allocate, pointer, release, simd, view, wasmKernelConfig } from './wasm-backend.js';

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
 */

function conv2dBackpropFilter({ inputs, backend, attrs }: KernelArgs<FilterGradAttrs>): tf.TensorInfo {
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
