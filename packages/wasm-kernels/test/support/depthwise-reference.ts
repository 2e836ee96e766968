/**
 * The depthwise backward kernels in float64, dilation-aware and skipping the padding: the reference for
 * dilated cases, where tfjs's cpu kernels ignore the dilation (tfjs's own depthwise gradient refuses it).
 */
import * as tf from '@tensorflow/tfjs-core';

import type { FuzzCase, FuzzInput, Outcome } from './differential.js';

type Shape4D = [number, number, number, number];

/** Calls `visit(xIndex, dyIndex, filterIndex)` for every (input pixel, output pixel, tap) product. */
function forEachProduct(xShape: Shape4D, filterShape: Shape4D, attrs: Record<string, unknown>, visit: (x: number, dy: number, w: number) => void): void {
  const info = tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    attrs.strides as number,
    attrs.dilations as number,
    attrs.pad as 'same',
    undefined,
    true,
  );
  const [kh, kw, channels, multiplier] = filterShape;
  const { top, left } = info.padInfo;
  for (let n = 0; n < info.batchSize; n++) {
    for (let oy = 0; oy < info.outHeight; oy++) {
      for (let ox = 0; ox < info.outWidth; ox++) {
        for (let p = 0; p < kh; p++) {
          const iy = oy * info.strideHeight - top + p * info.dilationHeight;
          if (iy < 0 || iy >= info.inHeight) continue;
          for (let q = 0; q < kw; q++) {
            const ix = ox * info.strideWidth - left + q * info.dilationWidth;
            if (ix < 0 || ix >= info.inWidth) continue;
            for (let c = 0; c < channels; c++) {
              for (let m = 0; m < multiplier; m++) {
                const xAt = ((n * info.inHeight + iy) * info.inWidth + ix) * channels + c;
                const dyAt = ((n * info.outHeight + oy) * info.outWidth + ox) * channels * multiplier + c * multiplier + m;
                visit(xAt, dyAt, ((p * kw + q) * channels + c) * multiplier + m);
              }
            }
          }
        }
      }
    }
  }
}

/** The float64 result of a dilated depthwise backward case; undefined for every other case. */
export function dilatedDepthwiseReference(c: FuzzCase): Outcome | undefined {
  if (!c.kernel.startsWith('Depthwise') || Array.isArray(c.inputs) || c.attrs.dilations === 1) return undefined;
  const output = (shape: number[], sums: Float64Array): Outcome => ({
    outputs: [{ values: Array.from(sums, (v) => Math.fround(v)), shape, dtype: 'float32' } satisfies FuzzInput],
  });
  const { dy } = c.inputs;
  if (c.kernel.endsWith('Filter')) {
    const { x } = c.inputs;
    const filterShape = c.attrs.filterShape as Shape4D;
    const sums = new Float64Array(tf.util.sizeFromShape(filterShape));
    forEachProduct(x.shape as Shape4D, filterShape, c.attrs, (xi, dyi, wi) => (sums[wi] += x.values[xi] * dy.values[dyi]));
    return output(filterShape, sums);
  }
  const { filter } = c.inputs;
  const inputShape = c.attrs.inputShape as Shape4D;
  const sums = new Float64Array(tf.util.sizeFromShape(inputShape));
  forEachProduct(inputShape, filter.shape as Shape4D, c.attrs, (xi, dyi, wi) => (sums[xi] += filter.values[wi] * dy.values[dyi]));
  return output(inputShape, sums);
}
