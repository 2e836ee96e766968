import * as tf from '@tensorflow/tfjs-core';

import { Module } from '../module.js';
import { uniform } from './init.js';

/**
 * A fully connected layer. Parameters: `weight` (checkpoint layout `[out, in]`), `bias` `[out]`.
 * `forward(x)`: `[N, in]` -> `[N, out]`; the caller disposes the result.
 */
export class Linear extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
  ) {
    super();
    this.weight = this.addParameter('weight', uniform([inFeatures, outFeatures], 1 / Math.sqrt(outFeatures)), 'linear');
    this.bias = this.addParameter('bias', tf.zeros([outFeatures]));
  }

  forward(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.add(tf.matMul(x, this.weight as tf.Tensor2D), this.bias));
  }
}
