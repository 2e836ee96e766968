import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { BatchNorm2d, fusedBatchNormTraining, swish } from '@edet/tensor';

// The fused training batch norm (+swish) against the same function composed from plain ops, whose
// gradients come from the per-op gradient registry: values and gradients for x, gamma and beta.
function composed(x: tf.Tensor4D, gamma: tf.Tensor, beta: tf.Tensor, eps: number, activation: boolean): tf.Tensor {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  const z = tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma), beta);
  return activation ? tf.mul(z, tf.sigmoid(z)) : z;
}

function maxRelativeError(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.div(tf.abs(tf.sub(a, b)), tf.add(tf.abs(b), 1e-3))).dataSync()[0]);
}

describe('fusedBatchNormTraining', () => {
  it.each([
    ['none', false],
    ['swish', true],
  ] as const)('matches the composed ops in value and gradient (%s)', (activation, withSwish) => {
    const x = tf.randomNormal([2, 5, 7, 3], 0.5, 2, 'float32', 1) as tf.Tensor4D;
    const gamma = tf.tensor1d([0.5, 1.5, -1]);
    const beta = tf.tensor1d([0.1, -0.2, 0.3]);
    const dy = tf.randomNormal([2, 5, 7, 3], 0, 1, 'float32', 2);
    const start = tf.memory().numTensors;
    const fused = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const { y, statistics } = fusedBatchNormTraining(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3, activation);
      tf.dispose([statistics.mean, statistics.variance]);
      return tf.sum(tf.mul(y, dy));
    };
    const reference = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(composed(a as tf.Tensor4D, g, b, 1e-3, withSwish), dy));
    const [gotX, gotGamma, gotBeta] = tf.grads(fused)([x, gamma, beta]);
    const [wantX, wantGamma, wantBeta] = tf.grads(reference)([x, gamma, beta]);
    expect(maxRelativeError(gotX, wantX)).toBeLessThan(1e-3);
    expect(maxRelativeError(gotGamma, wantGamma)).toBeLessThan(1e-3);
    expect(maxRelativeError(gotBeta, wantBeta)).toBeLessThan(1e-3);
    const value = tf.tidy(() => fused(x, gamma, beta).dataSync()[0]);
    const expected = tf.tidy(() => reference(x, gamma, beta).dataSync()[0]);
    expect(Math.abs(value - expected)).toBeLessThan(1e-3 * Math.abs(expected) + 1e-4);
    tf.dispose([gotX, gotGamma, gotBeta, wantX, wantGamma, wantBeta]);
    expect(tf.memory().numTensors).toBe(start);
  });

  it('BatchNorm2d in training mode updates running statistics with the unbiased variance', () => {
    const bn = new BatchNorm2d(2, 1e-3, 0.5).train();
    const x = tf.tensor4d([1, 10, 3, 20, 5, 30, 7, 40], [1, 2, 2, 2]);
    tf.dispose(bn.forwardSwish(x));
    // channel 0: mean 4, unbiased variance 20/3; running = 0.5 * init + 0.5 * batch.
    const mean = bn.runningMean.dataSync();
    const variance = bn.runningVar.dataSync();
    expect(mean[0]).toBeCloseTo(2, 5);
    expect(mean[1]).toBeCloseTo(12.5, 4);
    expect(variance[0]).toBeCloseTo(0.5 + 0.5 * (20 / 3), 4);
    expect(variance[1]).toBeCloseTo(0.5 + 0.5 * (500 / 3), 3);
    bn.dispose();
  });

  it('swish gradient is sigmoid(x) (1 + x (1 - sigmoid(x)))', () => {
    const xs = [-30, -3, -0.5, 0, 0.7, 4, 30];
    const grad = tf.grad((x: tf.Tensor) => tf.sum(swish(x)))(tf.tensor1d(xs)).dataSync();
    xs.forEach((x, i) => {
      const s = 1 / (1 + Math.exp(-x));
      expect(grad[i]).toBeCloseTo(s * (1 + x * (1 - s)), 5);
    });
  });
});
