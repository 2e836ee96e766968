import * as tf from '@tensorflow/tfjs-core';

import { withFloat32Inputs } from './float32-inputs.js';
import { type KernelArgs, allocate, floatView, pointer, simd, wasmKernelConfig } from './wasm-backend.js';

/**
 * `MaxPoolGrad` for the wasm backend, replacing the backend's own kernel, which is wrong for batch > 1 and
 * lets the padding win when every real value of a 'same'-padded window is negative.
 *
 * Like the cpu kernel (the reference), each window's gradient goes to its first strict maximum in row-major
 * order among the real (non-padding) inputs, found from x itself; a window whose values are all -Infinity
 * or NaN passes nothing. Channels in groups of 4 go through the SIMD kernel; the 1-3 left over (if any) are
 * done here in JavaScript with the same rule.
 */

interface Attrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function maxPoolGrad({ inputs, backend, attrs }: KernelArgs<Attrs>): tf.TensorInfo {
  const { dy, input } = inputs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;

  const out = allocate(backend, input.shape, true);
  simd(backend).maxPoolGrad(
    pointer(backend, input),
    pointer(backend, dy),
    pointer(backend, out),
    batchSize,
    inHeight,
    inWidth,
    channels,
    outHeight,
    outWidth,
    filterHeight,
    filterWidth,
    strideHeight,
    strideWidth,
    top,
    left,
  );
  const firstLeftover = channels & ~3;
  if (firstLeftover === channels) return out;

  const x = floatView(backend, input);
  const g = floatView(backend, dy);
  const dx = floatView(backend, out);
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      const rowStart = Math.max(0, oy * strideHeight - top);
      const rowEnd = Math.min(inHeight, oy * strideHeight - top + filterHeight);
      for (let ox = 0; ox < outWidth; ox++) {
        const colStart = Math.max(0, ox * strideWidth - left);
        const colEnd = Math.min(inWidth, ox * strideWidth - left + filterWidth);
        for (let c = firstLeftover; c < channels; c++) {
          let best = -Infinity;
          let where = -1;
          for (let iy = rowStart; iy < rowEnd; iy++) {
            for (let ix = colStart; ix < colEnd; ix++) {
              const at = ((b * inHeight + iy) * inWidth + ix) * channels + c;
              if (x[at] > best) {
                best = x[at];
                where = at;
              }
            }
          }
          if (where >= 0) dx[where] += g[((b * outHeight + oy) * outWidth + ox) * channels + c];
        }
      }
    }
  }
  return out;
}

export const maxPoolGradConfig = wasmKernelConfig('MaxPoolGrad', withFloat32Inputs('MaxPoolGrad', maxPoolGrad));
