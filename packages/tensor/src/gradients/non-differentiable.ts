import type * as tf from '@tensorflow/tfjs-core';

import { defineGradient, zerosGrad } from './util.js';

/**
 * Zero gradients for kernels that are piecewise constant (rounding, sign, step), compare or test values
 * (the results are bool), or produce indices. They still need a registration: a mask such as
 * `greater(x, 0)` feeding `where` lies on the path from `x` to the loss, and the tape refuses any kernel on
 * that path without a gradient. (NonMaxSuppressionV5 is left out on purpose: its selected scores are
 * differentiable, and a missing gradient is better than a silently wrong zero.)
 */

/** `kernelName -> its input names`. */
const ZERO_GRADIENT_INPUTS: Record<string, string[]> = {
  Floor: ['x'],
  Ceil: ['x'],
  Round: ['x'],
  Sign: ['x'],
  Step: ['x'],
  IsNan: ['x'],
  IsInf: ['x'],
  IsFinite: ['x'],
  LogicalNot: ['x'],
  ZerosLike: ['x'],
  OnesLike: ['x'],
  ArgMax: ['x'],
  ArgMin: ['x'],
  All: ['x'],
  Any: ['x'],
  OneHot: ['indices'],
  Equal: ['a', 'b'],
  NotEqual: ['a', 'b'],
  Greater: ['a', 'b'],
  GreaterEqual: ['a', 'b'],
  Less: ['a', 'b'],
  LessEqual: ['a', 'b'],
  LogicalAnd: ['a', 'b'],
  LogicalOr: ['a', 'b'],
  FloorDiv: ['a', 'b'],
  NonMaxSuppressionV3: ['boxes', 'scores'],
  NonMaxSuppressionV4: ['boxes', 'scores'],
};

/** A gradient config whose every input gets zeros. */
function zeroGradient(kernelName: string, inputNames: string[]): tf.GradConfig {
  return defineGradient({
    kernelName,
    inputsToSave: inputNames,
    gradFunc: (_dy, saved) => Object.fromEntries(inputNames.map((name, i) => [name, () => zerosGrad(saved[i])])),
  });
}

/** Every gradient of this family. */
export const nonDifferentiableGradients: tf.GradConfig[] = Object.entries(ZERO_GRADIENT_INPUTS).map(
  ([kernelName, inputs]) => zeroGradient(kernelName, inputs),
);
