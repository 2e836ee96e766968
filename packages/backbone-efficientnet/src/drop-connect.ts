import * as tf from '@tensorflow/tfjs-core';

import type { RandomSource } from './random.js';

/**
 * Per-element keep mask scaled by 1/keep: each entry is `floor(keep + u) / keep` with `u` from `random`,
 * i.e. 1/keep with probability `keep` and 0 otherwise. Drawn in JS so a seed reproduces it on any backend.
 * Returns a new `[length]` float array.
 */
function keepMask(length: number, rate: number, random: RandomSource): Float32Array {
  const keep = 1 - rate;
  const mask = new Float32Array(length);
  for (let i = 0; i < length; i++) mask[i] = Math.floor(keep + random()) / keep;
  return mask;
}

/**
 * Drop-connect (stochastic depth): zeroes the whole residual branch of each sample with probability `rate`
 * and scales the kept samples by `1 / (1 - rate)`, so the expectation is unchanged.
 * `x`: `[N, H, W, C]` -> same shape. Returns a new tensor the caller disposes; `x` is left alone.
 */
export function dropConnect(x: tf.Tensor4D, rate: number, random: RandomSource): tf.Tensor4D {
  if (rate <= 0) return tf.clone(x);
  const batch = x.shape[0];
  return tf.tidy(() => tf.mul(x, tf.tensor4d(keepMask(batch, rate, random), [batch, 1, 1, 1])));
}

/**
 * Standard dropout on `[N, features]`: each element is zeroed with probability `rate`, the rest scaled by
 * `1 / (1 - rate)`. Returns a new tensor the caller disposes.
 */
export function dropout(x: tf.Tensor2D, rate: number, random: RandomSource): tf.Tensor2D {
  if (rate <= 0) return tf.clone(x);
  return tf.tidy(() => tf.mul(x, tf.tensor2d(keepMask(x.size, rate, random), x.shape)));
}
