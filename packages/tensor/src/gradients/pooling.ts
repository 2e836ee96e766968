import * as tf from '@tensorflow/tfjs-core';


import { isExactKernel } from './exact-kernels.js';
import { defineGradient, placeAxis, single, spreadAxis } from './util.js';

/**
 * Gradients of `MaxPool` and `AvgPool` (2-D, NHWC), built from plain ops rather than tfjs 4.22's backward
 * kernels, which are wrong at padded edges: the wasm `MaxPoolGrad` lets 'same' padding win when every value
 * in a window is negative, and the cpu and wasm `AvgPoolGrad` divide by the full window size where the
 * forward pass divides by the number of real inputs.
 *
 * Max-pool: the input is padded with -Infinity, each window offset is compared with the pooled output, and
 * the gradient goes to the first maximum of each window in row-major order (TensorFlow's and the cpu
 * kernel's tie rule); a window whose maximum is -Infinity (all -Infinity or NaN) passes nothing, as in
 * tfjs's cpu `MaxPoolGrad` and @edet/wasm-kernels' (so every backend gives the same gradient). Both
 * gradients add every window offset's share back with strided placement.
 */

type PoolPad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

interface PoolAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: PoolPad;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** Window geometry of a pooling op over input `shape`. */
function poolGeometry(shape: [number, number, number, number], attrs: PoolAttrs) {
  const info = tf.backend_util.computePool2DInfo(
    shape,
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  return {
    ...info,
    top: info.padInfo.top,
    left: info.padInfo.left,
    // The padded canvas: big enough for every window and for the whole (shifted) input.
    paddedH: Math.max((outHeight - 1) * strideHeight + filterHeight, info.padInfo.top + shape[1]),
    paddedW: Math.max((outWidth - 1) * strideWidth + filterWidth, info.padInfo.left + shape[2]),
  };
}

type PoolGeometry = ReturnType<typeof poolGeometry>;

/**
 * Adds, for every window offset `(p, q)`, the `[n, oh, ow, c]` tensor `part(p, q)` into the padded canvas at
 * rows `p + i*strideH`, columns `q + j*strideW`, then crops the padding away: the transpose of reading
 * every window.
 */
function foldWindows(geo: PoolGeometry, inputShape: number[], part: (p: number, q: number) => tf.Tensor): tf.Tensor4D {
  let canvas: tf.Tensor | null = null;
  for (let p = 0; p < geo.filterHeight; p++) {
    for (let q = 0; q < geo.filterWidth; q++) {
      const rows = spreadAxis(part(p, q), 1, p, geo.strideHeight, geo.paddedH);
      const placed = spreadAxis(rows, 2, q, geo.strideWidth, geo.paddedW);
      canvas = canvas === null ? placed : tf.add(canvas, placed);
    }
  }
  const cropped = placeAxis(placeAxis(canvas as tf.Tensor, 1, -geo.top, inputShape[1]), 2, -geo.left, inputShape[2]);
  return cropped as tf.Tensor4D;
}

/** The `[n, oh, ow, c]` values at window offset `(p, q)` of the padded input. */
function windowValues(padded: tf.Tensor4D, geo: PoolGeometry, p: number, q: number): tf.Tensor4D {
  const [n, , , c] = padded.shape;
  return tf.stridedSlice(
    padded,
    [0, p, q, 0],
    [n, p + (geo.outHeight - 1) * geo.strideHeight + 1, q + (geo.outWidth - 1) * geo.strideWidth + 1, c],
    [1, geo.strideHeight, geo.strideWidth, 1],
  ) as tf.Tensor4D;
}

/** Max-pool input gradient from ops: dy routed to the first maximum of each window. */
function maxPoolGradFromOps(dy: tf.Tensor4D, x: tf.Tensor4D, y: tf.Tensor4D, attrs: PoolAttrs): tf.Tensor4D {
  const geo = poolGeometry(x.shape, attrs);
  const padded = tf.pad(
    x,
    [
      [0, 0],
      [geo.top, geo.paddedH - geo.top - x.shape[1]],
      [geo.left, geo.paddedW - geo.left - x.shape[2]],
      [0, 0],
    ],
    -Infinity,
  );
  // Windows whose maximum is -Infinity have no strict maximum among real inputs: nothing to route.
  let taken = tf.equal(y, -Infinity);
  const zeros = tf.zerosLike(dy);
  return foldWindows(geo, x.shape, (p, q) => {
    const hit = tf.logicalAnd(tf.equal(windowValues(padded, geo, p, q), y), tf.logicalNot(taken));
    taken = tf.logicalOr(taken, hit);
    return tf.where(hit, dy, zeros);
  });
}

/** Average-pool input gradient from ops: each window spreads dy / (number of real inputs in it). */
function avgPoolGradFromOps(
  dy: tf.Tensor4D,
  inputShape: [number, number, number, number],
  attrs: PoolAttrs,
): tf.Tensor4D {
  const geo = poolGeometry(inputShape, attrs);
  // tfjs averages over the real (non-padding) inputs of each window.
  const covered = (out: number, stride: number, size: number, before: number, inSize: number) =>
    Array.from({ length: out }, (_, i) => {
      const start = i * stride - before;
      return Math.min(inSize, start + size) - Math.max(0, start);
    });
  const rows = covered(geo.outHeight, geo.strideHeight, geo.filterHeight, geo.top, inputShape[1]);
  const cols = covered(geo.outWidth, geo.strideWidth, geo.filterWidth, geo.left, inputShape[2]);
  const counts = tf.tensor4d(
    rows.flatMap((r) => cols.map((c) => Math.max(r * c, 1))),
    [1, geo.outHeight, geo.outWidth, 1],
  );
  const share = tf.div(dy, counts);
  return foldWindows(geo, inputShape, () => share);
}

export const maxPoolGradient = defineGradient<PoolAttrs>({
  kernelName: 'MaxPool',
  inputsToSave: ['x'],
  outputsToSave: [true],
  gradFunc: (dy, [x, y], attrs) => ({
    // A MaxPoolGrad declared exact (`declareExactKernel`; @edet/wasm-kernels' is, and ~300x faster than the
    // ops) runs; tfjs's own kernels are not trusted.
    x: () =>
      isExactKernel('MaxPoolGrad', tf.getBackend())
        ? tf.engine().runKernel('MaxPoolGrad', { dy: single(dy), input: x, output: y }, attrs as unknown as tf.NamedAttrMap)
        : maxPoolGradFromOps(single(dy) as tf.Tensor4D, x as tf.Tensor4D, y as tf.Tensor4D, attrs),
  }),
});

export const avgPoolGradient = defineGradient<PoolAttrs>({
  kernelName: 'AvgPool',
  inputsToSave: ['x'],
  gradFunc: (dy, [x], attrs) => ({
    x: () => avgPoolGradFromOps(single(dy) as tf.Tensor4D, x.shape as [number, number, number, number], attrs),
  }),
});

/** Every gradient of this family. */
export const poolingGradients: tf.GradConfig[] = [maxPoolGradient, avgPoolGradient];
