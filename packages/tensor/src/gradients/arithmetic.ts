import * as tf from '@tensorflow/tfjs-core';

import { defineGradient, maskGrad, passThrough, reduceToShape, single } from './util.js';

/**
 * Gradients of the broadcasting binary ops (`Add`, `Sub`, `Multiply`, `RealDiv`, `Maximum`, `Minimum`,
 * `Pow`, `SquaredDifference`, `Atan2`, `Mod`) and of `AddN`. Each input's gradient is computed at the
 * broadcast shape and then summed back to the input's own shape.
 */

/** Builds a binary-op gradient from the two broadcast-shaped partial products. */
function binary(
  kernelName: string,
  grads: (dy: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => { a: () => tf.Tensor; b: () => tf.Tensor },
): tf.GradConfig {
  return defineGradient({
    kernelName,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => {
      const g = grads(single(dy), a, b);
      return { a: () => reduceToShape(g.a(), a.shape), b: () => reduceToShape(g.b(), b.shape) };
    },
  });
}

export const addGradient = binary('Add', (dy) => ({ a: () => passThrough(dy), b: () => passThrough(dy) }));

export const subGradient = binary('Sub', (dy) => ({ a: () => dy, b: () => tf.neg(dy) }));

export const multiplyGradient = binary('Multiply', (dy, a, b) => ({
  a: () => tf.mul(dy, tf.cast(b, 'float32')),
  b: () => tf.mul(dy, tf.cast(a, 'float32')),
}));

export const realDivGradient = binary('RealDiv', (dy, a, b) => ({
  a: () => tf.div(dy, b),
  // d(a/b)/db = -a / b^2
  b: () => tf.neg(tf.div(tf.mul(dy, a), tf.square(b))),
}));

// Ties go to `a`, as in TensorFlow, so exactly one input receives each gradient entry.
export const maximumGradient = binary('Maximum', (dy, a, b) => ({
  a: () => maskGrad(dy, tf.greaterEqual(a, b)),
  b: () => maskGrad(dy, tf.less(a, b)),
}));

export const minimumGradient = binary('Minimum', (dy, a, b) => ({
  a: () => maskGrad(dy, tf.lessEqual(a, b)),
  b: () => maskGrad(dy, tf.greater(a, b)),
}));

export const squaredDifferenceGradient = binary('SquaredDifference', (dy, a, b) => {
  const twoDiff = () => tf.mul(dy, tf.mul(tf.sub(a, b), 2));
  return { a: twoDiff, b: () => tf.neg(twoDiff()) };
});

export const powGradient = defineGradient({
  kernelName: 'Pow',
  inputsToSave: ['a', 'b'],
  outputsToSave: [true],
  gradFunc: (dy, [a, b, y]) => {
    const g = single(dy);
    return {
      // d(a^b)/da = b * a^(b-1)
      a: () => reduceToShape(tf.mul(g, tf.mul(b, tf.pow(a, tf.sub(b, 1)))), a.shape),
      // d(a^b)/db = a^b * ln(a), taken as 0 where a <= 0 (the log is undefined there, TF does the same).
      b: () => {
        const positive = tf.greater(a, 0);
        const logA = tf.where(positive, tf.log(tf.where(positive, a, tf.onesLike(a))), tf.zerosLike(a));
        return reduceToShape(tf.mul(g, tf.mul(y, logA)), b.shape);
      },
    };
  },
});

export const atan2Gradient = binary('Atan2', (dy, a, b) => {
  const denominator = () => tf.add(tf.square(a), tf.square(b));
  return {
    a: () => tf.div(tf.mul(dy, b), denominator()),
    b: () => tf.div(tf.neg(tf.mul(dy, a)), denominator()),
  };
});

// mod(a, b) = a - floor(a / b) * b, so d/da = 1 and d/db = -floor(a / b).
export const modGradient = binary('Mod', (dy, a, b) => ({
  a: () => passThrough(dy),
  b: () => tf.mul(dy, tf.neg(tf.floor(tf.div(a, b)))),
}));

export const addNGradient = defineGradient({
  kernelName: 'AddN',
  saveAllInputs: true,
  gradFunc: (dy, saved) => {
    const g = single(dy);
    return Object.fromEntries(saved.map((_, i) => [String(i), () => passThrough(g)]));
  },
});

/** Every gradient of this family. */
export const arithmeticGradients: tf.GradConfig[] = [
  addGradient,
  subGradient,
  multiplyGradient,
  realDivGradient,
  maximumGradient,
  minimumGradient,
  squaredDifferenceGradient,
  powGradient,
  atan2Gradient,
  modGradient,
  addNGradient,
];
