import * as tf from '@tensorflow/tfjs-core';

import { type WasmBackend, allocate, floatView } from './wasm-backend.js';

/**
 * `Conv2DBackpropFilter` in JavaScript, skipping the taps that fall into the padding as tfjs's cpu kernel
 * does: `dW[p, q, i, o] = sum over (n, oy, ox) whose tap (p, q) reads a real pixel of x[..., i] * dy[..., o]`.
 * The matrix-product kernel multiplies the padding's zeros instead, which makes NaN where they meet an
 * infinite dy; this exact path runs only when that product gave NaN (a training step that has already
 * diverged), so its speed does not matter.
 */
export function conv2dBackpropFilterExact(
  backend: WasmBackend,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const { top, left } = info.padInfo;
  const dw = allocate(backend, [filterHeight, filterWidth, inChannels, outChannels], true);
  // Views after the allocation, which may grow (and move) the heap.
  const xs = floatView(backend, x);
  const dys = floatView(backend, dy);
  const out = floatView(backend, dw);
  const sums = new Float64Array(outChannels);
  for (let p = 0; p < filterHeight; p++) {
    for (let q = 0; q < filterWidth; q++) {
      for (let i = 0; i < inChannels; i++) {
        sums.fill(0);
        for (let n = 0; n < batchSize; n++) {
          for (let oy = 0; oy < outHeight; oy++) {
            const iy = oy * strideHeight - top + p * dilationHeight;
            if (iy < 0 || iy >= inHeight) continue;
            for (let ox = 0; ox < outWidth; ox++) {
              const ix = ox * strideWidth - left + q * dilationWidth;
              if (ix < 0 || ix >= inWidth) continue;
              const xv = xs[((n * inHeight + iy) * inWidth + ix) * inChannels + i];
              const dyAt = ((n * outHeight + oy) * outWidth + ox) * outChannels;
              for (let o = 0; o < outChannels; o++) sums[o] += xv * dys[dyAt + o];
            }
          }
        }
        out.set(sums, ((p * filterWidth + q) * inChannels + i) * outChannels);
      }
    }
  }
  return dw;
}
