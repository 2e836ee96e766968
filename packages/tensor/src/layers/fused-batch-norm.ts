import * as tf from '@tensorflow/tfjs-core';

import { globalAveragePool } from './global-average-pool.js';
import { releaseAfterBackward } from './release-after-backward.js';

/** Per-channel mean over N, H, W of `[N, H, W, C]` -> `[1, 1, 1, C]`, reducing in short passes (see globalAveragePool). */
function channelMean(x: tf.Tensor4D): tf.Tensor4D {
  return tf.mean(globalAveragePool(x), 0, true) as tf.Tensor4D;
}

/** The batch statistics a training-mode batch norm used, for updating running statistics. */
export interface BatchStatistics {
  /** `[C]` batch mean. */
  mean: tf.Tensor1D;
  /** `[C]` biased batch variance. */
  variance: tf.Tensor1D;
}

/**
 * Training-mode batch norm, optionally followed by swish, as one differentiable op whose backward pass is
 * written out (the standard batch-norm gradient through batch statistics). Built from separate ops, the
 * tape would keep five or six full-size intermediates per layer; this keeps only the input, which is what
 * lets a D0 training step at 512x512 fit in the wasm heap, and it is faster.
 *
 * @param x `[N, H, W, C]`. @param gamma, beta `[C]`.
 * @returns the normalised (and activated) output `[N, H, W, C]` and the batch statistics; all new tensors
 *   the caller disposes.
 */
export function fusedBatchNormTraining(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps: number,
  activation: 'none' | 'swish',
): { y: tf.Tensor4D; statistics: BatchStatistics } {
  let statistics: BatchStatistics | undefined;
  const op = tf.customGrad(((input: tf.Tensor, scale: tf.Tensor, shift: tf.Tensor, save: tf.GradSaveFunc) => {
    const x4 = input as tf.Tensor4D;
    const mean = channelMean(x4);
    const centred = tf.sub(x4, mean);
    const variance = channelMean(tf.square(centred) as tf.Tensor4D);
    const invStd = tf.rsqrt(tf.add(variance, eps));
    const normalised = tf.mul(centred, invStd);
    const z = tf.add(tf.mul(normalised, scale), shift);
    const value = activation === 'swish' ? tf.mul(z, tf.sigmoid(z)) : z;
    statistics = { mean: tf.keep(tf.reshape(mean, [-1])) as tf.Tensor1D, variance: tf.keep(tf.reshape(variance, [-1])) as tf.Tensor1D };
    save([x4, scale, shift, mean, invStd]);
    return {
      value,
      // tfjs runs a custom gradient outside any tidy scope: without this one, every temporary below would live
      // until the whole backward pass ends.
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => {
        const [xs, g, b, m, s] = saved;
        const xHat = tf.mul(tf.sub(xs, m), s);
        let dz = dy;
        if (activation === 'swish') {
          const zs = tf.add(tf.mul(xHat, g), b);
          const sig = tf.sigmoid(zs);
          // d/dz [z * sigmoid(z)] = sigmoid(z) * (1 + z * (1 - sigmoid(z)))
          dz = tf.mul(dy, tf.mul(sig, tf.add(1, tf.mul(zs, tf.sub(1, sig)))));
        }
        const dBeta = tf.reshape(tf.sum(dz, [0, 1, 2]), [-1]);
        const dGamma = tf.reshape(tf.sum(tf.mul(dz, xHat), [0, 1, 2]), [-1]);
        // dx = gamma * invStd * (dz - mean(dz) - xHat * mean(dz * xHat))
        const meanDz = channelMean(dz as tf.Tensor4D);
        const meanDzXHat = channelMean(tf.mul(dz, xHat) as tf.Tensor4D);
        const dx = tf.mul(tf.mul(g, s), tf.sub(tf.sub(dz, meanDz), tf.mul(xHat, meanDzXHat)));
        releaseAfterBackward(dy, saved);
        return [dx, dGamma, dBeta];
      }),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const y = op(x, gamma, beta) as tf.Tensor4D;
  return { y, statistics: statistics as BatchStatistics };
}
