import * as tf from '@tensorflow/tfjs-core';

import { broadcastToShape, defineGradient, keepDimsShape, maskGrad, reductionAxes, single } from './util.js';

/**
 * Gradients of the reductions `Sum`, `Mean`, `Max`, `Min`, `Prod` and of `Cumsum`. The reduced gradient is
 * reshaped to the keep-dims shape and broadcast back over the reduced axes.
 */

/** Broadcasts a reduced gradient (with or without kept dims) back to `shape`. */
function unreduce(g: tf.Tensor, shape: number[], axes: number[]): tf.Tensor {
  return broadcastToShape(tf.reshape(g, keepDimsShape(shape, axes)), shape);
}

export const sumGradient = defineGradient<{ axis: number | number[] | null }>({
  kernelName: 'Sum',
  inputsToSave: ['x'],
  gradFunc: (dy, [x], { axis }) => ({ x: () => unreduce(single(dy), x.shape, reductionAxes(axis, x.rank)) }),
});

export const meanGradient = defineGradient<{ axis: number | number[] | null }>({
  kernelName: 'Mean',
  inputsToSave: ['x'],
  gradFunc: (dy, [x], { axis }) => {
    const axes = reductionAxes(axis, x.rank);
    const count = axes.reduce((n, a) => n * x.shape[a], 1);
    return { x: () => unreduce(tf.div(single(dy), count), x.shape, axes) };
  },
});

/**
 * `Max` / `Min`: the gradient goes to the positions equal to the result, split evenly between ties
 * (TensorFlow's convention, which keeps the total gradient equal to `dy`).
 */
function extremum(kernelName: string, axisAttr: 'reductionIndices' | 'axis'): tf.GradConfig {
  return defineGradient<Record<string, number | number[] | null>>({
    kernelName,
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, [x, y], attrs) => ({
      x: () => {
        const axes = reductionAxes(attrs[axisAttr], x.rank);
        const hit = tf.equal(x, tf.reshape(y, keepDimsShape(x.shape, axes)));
        const ties = tf.sum(tf.cast(hit, 'float32'), axes, true);
        return maskGrad(unreduce(tf.div(tf.reshape(single(dy), ties.shape), ties), x.shape, axes), hit);
      },
    }),
  });
}

export const maxGradient = extremum('Max', 'reductionIndices');

export const minGradient = extremum('Min', 'axis');

/**
 * `Prod`: d(prod)/dx_i is the product of all the other entries, computed as an exclusive cumulative product
 * from the left times one from the right, so zeros in `x` need no division.
 */
export const prodGradient = defineGradient<{ axis: number | number[] | null }>({
  kernelName: 'Prod',
  inputsToSave: ['x'],
  gradFunc: (dy, [x], { axis }) => ({
    x: () => {
      const axes = reductionAxes(axis, x.rank);
      const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
      const perm = [...kept, ...axes];
      const reducedSize = axes.reduce((n, a) => n * x.shape[a], 1);
      // [kept..., reduced...] -> [outer, reduced] so the cumulative products run along one axis.
      const flat = tf.reshape(tf.transpose(tf.cast(x, 'float32'), perm), [-1, reducedSize]);
      const others = tf.mul(tf.cumprod(flat, 1, true), tf.cumprod(flat, 1, true, true));
      const scaled = tf.mul(others, tf.reshape(single(dy), [-1, 1]));
      const transposed = tf.reshape(
        scaled,
        perm.map((a) => x.shape[a]),
      );
      const inverse = perm.map((_, i) => perm.indexOf(i));
      return tf.transpose(transposed, inverse);
    },
  }),
});

// The transpose of a cumulative sum is the cumulative sum in the other direction.
export const cumsumGradient = defineGradient<{ axis: number; exclusive: boolean; reverse: boolean }>({
  kernelName: 'Cumsum',
  gradFunc: (dy, _saved, { axis, exclusive, reverse }) => ({
    x: () => tf.cumsum(single(dy), axis, exclusive, !reverse),
  }),
});

/** Every gradient of this family. */
export const reductionGradients: tf.GradConfig[] = [
  sumGradient,
  meanGradient,
  maxGradient,
  minGradient,
  prodGradient,
  cumsumGradient,
];
