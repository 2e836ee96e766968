import * as tf from '@tensorflow/tfjs-core';

import { defineGradient, reduceToShape, single } from './util.js';

/**
 * Gradient of `FusedBatchNorm` (what `tf.batchNorm` runs):
 * `y = (x - mean) * rsqrt(variance + eps) * scale + offset`, with mean, variance, scale and offset
 * broadcasting against x. Mean and variance are ordinary inputs here; when they come from `tf.moments` of x,
 * the chain through `moments` adds the batch-statistics terms.
 *
 * Under a gradient tape tfjs 4.22 needs both `scale` and `offset` passed to `tf.batchNorm`: the engine
 * cannot record a kernel call with a missing input (it fails before any gradient runs).
 */
export const fusedBatchNormGradient = defineGradient<{ varianceEpsilon: number }>({
  kernelName: 'FusedBatchNorm',
  inputsToSave: ['x', 'mean', 'variance', 'scale', 'offset'],
  gradFunc: (dy, [x, mean, variance, scale, offset], { varianceEpsilon }) => {
    const g = single(dy);
    const invStd = () => tf.rsqrt(tf.add(variance, varianceEpsilon));
    const centred = () => tf.sub(x, mean);
    return {
      x: () => reduceToShape(tf.mul(g, tf.mul(invStd(), scale)), x.shape),
      mean: () => reduceToShape(tf.neg(tf.mul(g, tf.mul(invStd(), scale))), mean.shape),
      // d/dvar of (var + eps)^(-1/2) is -0.5 (var + eps)^(-3/2).
      variance: () => {
        const dInvStd = tf.mul(tf.mul(-0.5, tf.pow(invStd(), 3)), scale);
        return reduceToShape(tf.mul(tf.mul(g, centred()), dInvStd), variance.shape);
      },
      scale: () => reduceToShape(tf.mul(tf.mul(g, centred()), invStd()), scale.shape),
      offset: () => reduceToShape(g, offset.shape),
    };
  },
});

/** Every gradient of this family. */
export const normalizationGradients: tf.GradConfig[] = [fusedBatchNormGradient];
