import * as tf from '@tensorflow/tfjs-core';

import { type FilterGradAttrs, convGeometry } from './conv-geometry.js';
import { withFloat32Inputs } from './float32-inputs.js';
import { type KernelArgs, allocate, pointer, release, runWasmKernel, simd, view, wasmKernelConfig } from './wasm-backend.js';

/**
 * `DepthwiseConv2dNativeBackpropFilter` for the wasm backend:
 * `dW[p, q, c, m] = sum_{n, oy, ox} x[n, iy, ix, c] * dy[n, oy, ox, c * M + m]`.
 *
 * Each (tap, channel) pair is a dot product of a shifted input with dy, with nothing shared between
 * channels, so no matrix-product formulation helps; the SIMD kernel walks every (output row, tap) pair once
 * with a 4-channel accumulator in a register. A channel multiplier M > 1 is handled by repeating each input
 * channel M times first (then x and dy line up channel for channel).
 */

function depthwiseBackpropFilter({ inputs, backend, attrs }: KernelArgs<FilterGradAttrs>): tf.TensorInfo {
  const { x, dy } = inputs;
  const { filterShape } = attrs;
  const [kh, kw, channels, multiplier] = filterShape;
  const [n, h, w] = x.shape;
  const width = channels * multiplier;
  const geo = convGeometry(x.shape as [number, number, number, number], filterShape, attrs, true, width);
  // Nothing to multiply: dW is zeros, as on cpu.
  if (tf.util.sizeFromShape(x.shape) === 0 || tf.util.sizeFromShape(dy.shape) === 0) {
    return allocate(backend, [...filterShape], true);
  }

  const expanded =
    multiplier === 1
      ? x
      : runWasmKernel('Tile', { x: view(x, [n, h, w, channels, 1]) }, { reps: [1, 1, 1, 1, multiplier] }, backend);
  const dw = allocate(backend, [kh, kw, width], true);
  const [xAt, dyAt, dwAt] = [expanded, dy, dw].map((t) => pointer(backend, t));
  simd(backend).depthwiseFilterGrad(xAt, dyAt, dwAt, ...geo.args);
  if (expanded !== x) release(backend, expanded);
  return view(dw, [...filterShape]);
}

export const depthwiseBackpropFilterConfig = wasmKernelConfig(
  'DepthwiseConv2dNativeBackpropFilter',
  withFloat32Inputs('DepthwiseConv2dNativeBackpropFilter', depthwiseBackpropFilter),
);
