import * as tf from '@tensorflow/tfjs-core';

import { defineGradient, reduceToShape, single } from './util.js';

/**
 * Gradient of `BatchMatMul` (`matMul` on rank >= 2, with optional transposes and broadcast batch axes).
 * For `y = A B` with `A = op(a)`, `B = op(b)`: `dA = dy B^T`, `dB = A^T dy`, rewritten per transpose flag so
 * that no explicit transpose is needed, then summed over batch axes an input was broadcast along.
 *
 * `_FusedMatMul` needs no registration: under a tape `tf.fused.matMul` wraps it in `customGrad`.
 */
export const batchMatMulGradient = defineGradient<{ transposeA: boolean; transposeB: boolean }>({
  kernelName: 'BatchMatMul',
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, [a, b], { transposeA, transposeB }) => {
    const g = single(dy);
    let da: () => tf.Tensor;
    let db: () => tf.Tensor;
    if (!transposeA && !transposeB) {
      da = () => tf.matMul(g, b, false, true);
      db = () => tf.matMul(a, g, true, false);
    } else if (!transposeA && transposeB) {
      da = () => tf.matMul(g, b, false, false);
      db = () => tf.matMul(g, a, true, false);
    } else if (transposeA && !transposeB) {
      da = () => tf.matMul(b, g, false, true);
      db = () => tf.matMul(a, g, false, false);
    } else {
      da = () => tf.matMul(b, g, true, true);
      db = () => tf.matMul(g, a, true, true);
    }
    return { a: () => reduceToShape(da(), a.shape), b: () => reduceToShape(db(), b.shape) };
  },
});

/** Every gradient of this family. */
export const matMulGradients: tf.GradConfig[] = [batchMatMulGradient];
