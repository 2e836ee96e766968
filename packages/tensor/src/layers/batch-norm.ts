import * as tf from '@tensorflow/tfjs-core';

import { Module } from '../module.js';
import { type Activation, swish } from './activations.js';
import { fusedBatchNormTraining } from './fused-batch-norm.js';

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
    /** How far the running statistics move towards a training batch's (settable, as PyTorch's `bn.momentum`). */
    public momentum = 0.01,
  ) {
    super();
    this.weight = this.addParameter('weight', tf.ones([channels]));
    this.bias = this.addParameter('bias', tf.zeros([channels]));
    this.runningMean = this.addBuffer('running_mean', tf.zeros([channels]));
    this.runningVar = this.addBuffer('running_var', tf.ones([channels]));
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return this.training ? this.forwardTraining(x, 'none') : this.forwardInference(x);
  }

  /** Batch norm followed by `activation`: the fused swish path, or relu6 after the norm. */
  forwardActivated(x: tf.Tensor4D, activation: Activation): tf.Tensor4D {
    if (activation === 'swish') return this.forwardSwish(x);
    return tf.tidy(() => tf.relu6(this.forward(x)));
  }

  /** `swish(forward(x))`, fused into one op in training mode (see `fusedBatchNormTraining`). */
  forwardSwish(x: tf.Tensor4D): tf.Tensor4D {
    return this.training ? this.forwardTraining(x, 'swish') : tf.tidy(() => swish(this.forwardInference(x)));
  }

  private forwardInference(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      // Folded into one scale and shift: two broadcast ops instead of four.
      const scale = tf.mul(this.weight, tf.rsqrt(tf.add(this.runningVar, this.eps)));
      const shift = tf.sub(this.bias, tf.mul(this.runningMean, scale));
      return tf.add(tf.mul(x, scale), shift) as tf.Tensor4D;
    });
  }

  private forwardTraining(x: tf.Tensor4D, activation: 'none' | 'swish'): tf.Tensor4D {
    const { y, statistics } = fusedBatchNormTraining(x, this.weight as tf.Tensor1D, this.bias as tf.Tensor1D, this.eps, activation);
    const count = statistics.count;
    tf.tidy(() => {
      const unbiased = tf.mul(statistics.variance, count / Math.max(count - 1, 1));
      this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - this.momentum), tf.mul(statistics.mean, this.momentum)));
      this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - this.momentum), tf.mul(unbiased, this.momentum)));
    });
    tf.dispose([statistics.mean, statistics.variance]);
    return y;
  }
}
