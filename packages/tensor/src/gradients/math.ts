import * as tf from '@tensorflow/tfjs-core';

import { defineGradient, maskGrad, passThrough, single } from './util.js';

/**
 * Gradients of the smooth (or almost everywhere smooth) unary math kernels: powers, roots, exp/log,
 * trigonometry, `Abs`, `ClipByValue`, and the pass-through kernels `Cast` and `Identity`.
 */

/** A unary gradient `dy * f'(x)` that needs only the input. */
function fromInput(kernelName: string, derivative: (x: tf.Tensor) => tf.Tensor): tf.GradConfig {
  return defineGradient({
    kernelName,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({ x: () => tf.mul(single(dy), derivative(tf.cast(x, 'float32'))) }),
  });
}

/** A unary gradient `dy * f'(y)` expressed through the saved output (cheaper for exp, sqrt, ...). */
function fromOutput(kernelName: string, derivative: (y: tf.Tensor) => tf.Tensor): tf.GradConfig {
  return defineGradient({
    kernelName,
    outputsToSave: [true],
    gradFunc: (dy, [y]) => ({ x: () => tf.mul(single(dy), derivative(y)) }),
  });
}

export const negGradient = defineGradient({
  kernelName: 'Neg',
  gradFunc: (dy) => ({ x: () => tf.neg(single(dy)) }),
});

export const squareGradient = fromInput('Square', (x) => tf.mul(x, 2));

// sqrt: 1 / (2 sqrt(x)) = 0.5 / y
export const sqrtGradient = fromOutput('Sqrt', (y) => tf.div(0.5, y));

// rsqrt: -0.5 x^(-3/2) = -0.5 y^3
export const rsqrtGradient = fromOutput('Rsqrt', (y) => tf.mul(-0.5, tf.mul(y, tf.square(y))));

// reciprocal: -1 / x^2 = -y^2
export const reciprocalGradient = fromOutput('Reciprocal', (y) => tf.neg(tf.square(y)));

export const expGradient = fromOutput('Exp', (y) => y);

// expm1: e^x = y + 1
export const expm1Gradient = fromOutput('Expm1', (y) => tf.add(y, 1));

export const logGradient = fromInput('Log', (x) => tf.reciprocal(x));

export const log1pGradient = fromInput('Log1p', (x) => tf.reciprocal(tf.add(x, 1)));

// Sign of x (0 at 0), as TensorFlow: the subgradient that keeps |x| from jumping around at 0.
export const absGradient = fromInput('Abs', (x) => tf.sign(x));

export const sinGradient = fromInput('Sin', (x) => tf.cos(x));

export const cosGradient = fromInput('Cos', (x) => tf.neg(tf.sin(x)));

// tan: 1 / cos^2
export const tanGradient = fromInput('Tan', (x) => tf.reciprocal(tf.square(tf.cos(x))));

export const atanGradient = fromInput('Atan', (x) => tf.reciprocal(tf.add(tf.square(x), 1)));

// asin: 1 / sqrt(1 - x^2)
export const asinGradient = fromInput('Asin', (x) => tf.rsqrt(tf.sub(1, tf.square(x))));

export const acosGradient = fromInput('Acos', (x) => tf.neg(tf.rsqrt(tf.sub(1, tf.square(x)))));

export const sinhGradient = fromInput('Sinh', (x) => tf.cosh(x));

export const coshGradient = fromInput('Cosh', (x) => tf.sinh(x));

export const asinhGradient = fromInput('Asinh', (x) => tf.rsqrt(tf.add(tf.square(x), 1)));

export const acoshGradient = fromInput('Acosh', (x) => tf.rsqrt(tf.sub(tf.square(x), 1)));

export const atanhGradient = fromInput('Atanh', (x) => tf.reciprocal(tf.sub(1, tf.square(x))));

// erf: 2 / sqrt(pi) * exp(-x^2)
export const erfGradient = fromInput('Erf', (x) => tf.mul(2 / Math.sqrt(Math.PI), tf.exp(tf.neg(tf.square(x)))));

// Inside the closed interval the gradient passes (TensorFlow's convention at the bounds).
export const clipByValueGradient = defineGradient<{ clipValueMin: number; clipValueMax: number }>({
  kernelName: 'ClipByValue',
  inputsToSave: ['x'],
  gradFunc: (dy, [x], { clipValueMin, clipValueMax }) => ({
    x: () => maskGrad(single(dy), tf.logicalAnd(tf.greaterEqual(x, clipValueMin), tf.lessEqual(x, clipValueMax))),
  }),
});

// A cast to float is the identity on values. A cast to int or bool rounds or thresholds, which is piecewise
// constant, so its gradient is 0 (TensorFlow stops the gradient there too).
export const castGradient = defineGradient<{ dtype: tf.DataType }>({
  kernelName: 'Cast',
  gradFunc: (dy, _saved, { dtype }) => {
    const g = single(dy);
    return { x: () => (dtype === 'float32' ? passThrough(g) : tf.zerosLike(g)) };
  },
});

export const identityGradient = defineGradient({
  kernelName: 'Identity',
  gradFunc: (dy) => ({ x: () => passThrough(single(dy)) }),
});

/** Every gradient of this family. */
export const mathGradients: tf.GradConfig[] = [
  negGradient,
  squareGradient,
  sqrtGradient,
  rsqrtGradient,
  reciprocalGradient,
  expGradient,
  expm1Gradient,
  logGradient,
  log1pGradient,
  absGradient,
  sinGradient,
  cosGradient,
  tanGradient,
  atanGradient,
  asinGradient,
  acosGradient,
  sinhGradient,
  coshGradient,
  asinhGradient,
  acoshGradient,
  atanhGradient,
  erfGradient,
  clipByValueGradient,
  castGradient,
  identityGradient,
];
