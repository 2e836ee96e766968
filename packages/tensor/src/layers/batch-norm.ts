import * as tf from '@tensorflow/tfjs-core';

import { Module } from '../module.js';
import { globalAveragePool } from './global-average-pool.js';

/**
 * Batch normalisation over the channel axis of NHWC input, with PyTorch parameter names
 * (`weight`, `bias`, `running_mean`, `running_var`, all `[channels]`).
 *
 * Inference: `y = (x - running_mean) / sqrt(running_var + eps) * weight + bias`.
 * Training: batch statistics normalise, and the running statistics move towards them by `momentum`
 * (PyTorch convention: 0.01 means 1% new, with the unbiased batch variance).
 * `forward(x)`: `[N, H, W, C]` -> same shape; the caller disposes the result.
 */
export class BatchNorm2d extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;

  constructor(
    readonly channels: number,
    readonly eps = 1e-3,
    readonly momentum = 0.01,
  ) {
    super();
    this.weight = this.addParameter('weight', tf.ones([channels]));
    this.bias = this.addParameter('bias', tf.zeros([channels]));
    this.runningMean = this.addBuffer('running_mean', tf.zeros([channels]));
    this.runningVar = this.addBuffer('running_var', tf.ones([channels]));
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return this.training ? this.forwardTraining(x) : this.forwardInference(x);
  }

  private forwardInference(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      // Folded into one scale and shift: two broadcast ops instead of four.
      const scale = tf.mul(this.weight, tf.rsqrt(tf.add(this.runningVar, this.eps)));
      const shift = tf.sub(this.bias, tf.mul(this.runningMean, scale));
      return tf.add(tf.mul(x, scale), shift) as tf.Tensor4D;
    });
  }

  private forwardTraining(x: tf.Tensor4D): tf.Tensor4D {
    // Statistics reduce width, height, then batch: one float32 pass over every cell drifts on wasm.
    const mean = tf.tidy(() => tf.mean(globalAveragePool(x), 0, true));
    const variance = tf.tidy(() => tf.mean(globalAveragePool(tf.square(tf.sub(x, mean)) as tf.Tensor4D), 0, true));
    const count = x.size / this.channels;
    tf.tidy(() => {
      const unbiased = tf.mul(tf.reshape(variance, [this.channels]), count / Math.max(count - 1, 1));
      const batchMean = tf.reshape(mean, [this.channels]);
      this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - this.momentum), tf.mul(batchMean, this.momentum)));
      this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - this.momentum), tf.mul(unbiased, this.momentum)));
    });
    const y = tf.tidy(() => {
      const normalised = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.eps)));
      return tf.add(tf.mul(normalised, this.weight), this.bias) as tf.Tensor4D;
    });
    mean.dispose();
    variance.dispose();
    return y;
  }
}
