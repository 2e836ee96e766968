import * as tf from '@tensorflow/tfjs-core';

import { defineGradient, single } from './util.js';

/**
 * Gradients of `ResizeNearestNeighbor` and `ResizeBilinear` (NHWC).
 *
 * Neither calls tfjs 4.22's backward kernels: the cpu `ResizeNearestNeighborGrad` is wrong for batch > 1, and
 * `ResizeBilinearGrad` is wrong too (see below). An integer nearest-neighbour upscale (the common case: every
 * output pixel copies one input pixel in an `f x f` block) is a reshape and a sum; every other case uses the
 * resize's own sampling matrices. Both resizes are
 * separable, `y[n] = A_h x[n] A_w^T` per channel, so `dx[n] = A_h^T dy[n] A_w`, with `A_h` and `A_w` built
 * here by the same index arithmetic as tfjs's cpu kernels.
 */

interface ResizeAttrs {
  alignCorners: boolean;
  halfPixelCenters: boolean;
  size: [number, number];
}

/** tfjs's input/output size ratio along one axis. */
function sizeRatio(inSize: number, outSize: number, alignCorners: boolean): number {
  return alignCorners && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize;
}

/**
 * `[outSize, inSize]` matrix of one axis's sampling weights: `place(row, source)` writes the weights of the
 * output pixel whose source position along the input axis is `source` into its (zeroed) row. `halfPixelShift`
 * is subtracted from half-pixel-centred positions (0.5 for bilinear, 0 for nearest, as in tfjs's cpu kernels).
 * The caller disposes the returned tensor.
 */
function samplingWeights(
  inSize: number,
  outSize: number,
  alignCorners: boolean,
  halfPixelCenters: boolean,
  halfPixelShift: number,
  place: (row: Float32Array, source: number) => void,
): tf.Tensor2D {
  const ratio = sizeRatio(inSize, outSize, alignCorners);
  const weights = new Float32Array(outSize * inSize);
  for (let i = 0; i < outSize; i++) {
    const source = halfPixelCenters ? ratio * (i + 0.5) - halfPixelShift : ratio * i;
    place(weights.subarray(i * inSize, (i + 1) * inSize), source);
  }
  return tf.tensor2d(weights, [outSize, inSize]);
}

/** `[outSize, inSize]` matrix: row i is one-hot at the input pixel nearest-neighbour output i copies. */
function nearestWeights(inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean): tf.Tensor2D {
  return samplingWeights(inSize, outSize, alignCorners, halfPixelCenters, 0, (row, source) => {
    let nearest = Math.min(inSize - 1, alignCorners ? Math.round(source) : Math.floor(source));
    if (halfPixelCenters) nearest = Math.max(0, nearest);
    row[nearest] = 1;
  });
}

/** `[outSize, inSize]` matrix of bilinear interpolation weights along one axis. */
function bilinearWeights(inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean): tf.Tensor2D {
  return samplingWeights(inSize, outSize, alignCorners, halfPixelCenters, 0.5, (row, source) => {
    const low = Math.max(0, Math.floor(source));
    const high = Math.min(inSize - 1, Math.ceil(source));
    const frac = source - low;
    row[low] += 1 - frac;
    row[high] += frac;
  });
}

/** `dx[n, a, b, c] = sum_{i, j} rows[i, a] * cols[j, b] * dy[n, i, j, c]`. */
function separableResizeGrad(dy: tf.Tensor4D, rows: tf.Tensor2D, cols: tf.Tensor2D): tf.Tensor4D {
  const [n, outH, outW, c] = dy.shape;
  const [, inH] = rows.shape;
  const [, inW] = cols.shape;
  // Contract the height axis: [n, outW, c, outH] x [outH, inH].
  const alongH = tf.matMul(tf.reshape(tf.transpose(dy, [0, 2, 3, 1]), [-1, outH]), rows);
  const hDone = tf.transpose(tf.reshape(alongH, [n, outW, c, inH]), [0, 3, 2, 1]); // [n, inH, c, outW]
  // Contract the width axis: [n, inH, c, outW] x [outW, inW].
  const alongW = tf.matMul(tf.reshape(hDone, [-1, outW]), cols);
  return tf.transpose(tf.reshape(alongW, [n, inH, c, inW]), [0, 1, 3, 2]) as tf.Tensor4D;
}

export const resizeNearestNeighborGradient = defineGradient<ResizeAttrs>({
  kernelName: 'ResizeNearestNeighbor',
  inputsToSave: ['images'],
  gradFunc: (dy, [images], { alignCorners, halfPixelCenters, size }) => ({
    images: () => {
      const g = single(dy) as tf.Tensor4D;
      const [n, h, w, c] = images.shape;
      const [outH, outW] = size;
      if (!alignCorners && outH % h === 0 && outW % w === 0) {
        // Output pixel (i*fh + r, j*fw + s) copies input (i, j), with or without half-pixel centres.
        return tf.sum(tf.reshape(g, [n, h, outH / h, w, outW / w, c]), [2, 4]);
      }
      return separableResizeGrad(
        g,
        nearestWeights(h, outH, alignCorners, halfPixelCenters),
        nearestWeights(w, outW, alignCorners, halfPixelCenters),
      );
    },
  }),
});

// Never the ResizeBilinearGrad kernel: tfjs 4.22's cpu kernel returns height and width swapped for
// non-square images, and neither the cpu nor the wasm kernel handles half-pixel centres.
export const resizeBilinearGradient = defineGradient<ResizeAttrs>({
  kernelName: 'ResizeBilinear',
  inputsToSave: ['images'],
  gradFunc: (dy, [images], { alignCorners, halfPixelCenters, size }) => ({
    images: () => {
      const [, h, w] = images.shape;
      return separableResizeGrad(
        single(dy) as tf.Tensor4D,
        bilinearWeights(h, size[0], alignCorners, halfPixelCenters),
        bilinearWeights(w, size[1], alignCorners, halfPixelCenters),
      );
    },
  }),
});

/** Every gradient of this family. */
export const resizeGradients: tf.GradConfig[] = [resizeNearestNeighborGradient, resizeBilinearGradient];
