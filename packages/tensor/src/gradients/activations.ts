import * as tf from '@tensorflow/tfjs-core';

import { defineGradient, maskGrad, reduceToShape, single } from './util.js';

/**
 * Gradients of the activation kernels: the ReLU family, ELU/SELU, PReLU, sigmoid, softplus, tanh, and
 * softmax / log-softmax. Kinks use TensorFlow's one-sided conventions (ReLU passes only for x > 0).
 */

export const reluGradient = defineGradient({
  kernelName: 'Relu',
  inputsToSave: ['x'],
  gradFunc: (dy, [x]) => ({ x: () => maskGrad(single(dy), tf.greater(x, 0)) }),
});

// Passes strictly inside (0, 6), as TensorFlow's Relu6Grad.
export const relu6Gradient = defineGradient({
  kernelName: 'Relu6',
  inputsToSave: ['x'],
  gradFunc: (dy, [x]) => ({
    x: () => maskGrad(single(dy), tf.logicalAnd(tf.greater(x, 0), tf.less(x, 6))),
  }),
});

export const leakyReluGradient = defineGradient<{ alpha: number }>({
  kernelName: 'LeakyRelu',
  inputsToSave: ['x'],
  gradFunc: (dy, [x], { alpha }) => {
    const g = single(dy);
    return { x: () => tf.where(tf.greater(x, 0), g, tf.mul(g, alpha)) };
  },
});

// elu(x) = x for x > 0, e^x - 1 otherwise, so the slope below 0 is e^x = y + 1 (taken from the output).
export const eluGradient = defineGradient({
  kernelName: 'Elu',
  outputsToSave: [true],
  gradFunc: (dy, [y]) => {
    const g = single(dy);
    return { x: () => tf.where(tf.greater(y, 0), g, tf.mul(g, tf.add(y, 1))) };
  },
});

// The constants of tfjs's (and TensorFlow's) SELU.
const SELU_SCALE = 1.0507009873554804934193349852946;
const SELU_SCALE_ALPHA = 1.7580993408473768599402175208123;

export const seluGradient = defineGradient({
  kernelName: 'Selu',
  inputsToSave: ['x'],
  gradFunc: (dy, [x]) => {
    const g = single(dy);
    return {
      x: () => tf.where(tf.greater(x, 0), tf.mul(g, SELU_SCALE), tf.mul(g, tf.mul(tf.exp(x), SELU_SCALE_ALPHA))),
    };
  },
});

// prelu(x, alpha) = x for x > 0, alpha * x otherwise; alpha broadcasts against x.
export const preluGradient = defineGradient({
  kernelName: 'Prelu',
  inputsToSave: ['x', 'alpha'],
  gradFunc: (dy, [x, alpha]) => {
    const g = single(dy);
    const positive = () => tf.greater(x, 0);
    return {
      x: () => reduceToShape(tf.where(positive(), g, tf.mul(g, alpha)), x.shape),
      alpha: () => reduceToShape(tf.where(positive(), tf.zerosLike(g), tf.mul(g, x)), alpha.shape),
    };
  },
});

export const sigmoidGradient = defineGradient({
  kernelName: 'Sigmoid',
  outputsToSave: [true],
  gradFunc: (dy, [y]) => ({ x: () => tf.mul(single(dy), tf.mul(y, tf.sub(1, y))) }),
});

// softplus(x) = log(1 + e^x), whose derivative is sigmoid(x).
export const softplusGradient = defineGradient({
  kernelName: 'Softplus',
  inputsToSave: ['x'],
  gradFunc: (dy, [x]) => ({ x: () => tf.mul(single(dy), tf.sigmoid(x)) }),
});

export const tanhGradient = defineGradient({
  kernelName: 'Tanh',
  outputsToSave: [true],
  gradFunc: (dy, [y]) => ({ x: () => tf.mul(single(dy), tf.sub(1, tf.square(y))) }),
});

// softmax: dx = y * (dy - sum(dy * y)) along the softmax axis.
export const softmaxGradient = defineGradient<{ dim: number }>({
  kernelName: 'Softmax',
  outputsToSave: [true],
  gradFunc: (dy, [y], { dim }) => {
    const g = single(dy);
    return { logits: () => tf.mul(y, tf.sub(g, tf.sum(tf.mul(g, y), dim, true))) };
  },
});

// log-softmax: dx = dy - softmax * sum(dy) along the axis; softmax = exp(y).
export const logSoftmaxGradient = defineGradient<{ axis: number }>({
  kernelName: 'LogSoftmax',
  outputsToSave: [true],
  gradFunc: (dy, [y], { axis }) => {
    const g = single(dy);
    return { logits: () => tf.sub(g, tf.mul(tf.exp(y), tf.sum(g, axis, true))) };
  },
});

/** Every gradient of this family. */
export const activationGradients: tf.GradConfig[] = [
  reluGradient,
  relu6Gradient,
  leakyReluGradient,
  eluGradient,
  seluGradient,
  preluGradient,
  sigmoidGradient,
  softplusGradient,
  tanhGradient,
  softmaxGradient,
  logSoftmaxGradient,
];
