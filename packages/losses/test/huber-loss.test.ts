import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { InvalidArgumentError } from '@edet/tensor';
import { huberLoss, smoothL1Loss } from '@edet/losses';

import { expectClose, expectNoLeak, values } from './support/expect.js';
import { huber, numericGradient, seededRandom } from './support/float64.js';

describe('huberLoss', () => {
  it('matches hand-worked values (delta 0.1): 0.5 x^2 inside, delta (|x| - delta / 2) outside', () => {
    const pred = tf.tensor1d([0.05, -0.5, 0.1, 0]);
    const target = tf.tensor1d([0, 0, 0, 0]);
    // 0.00125; 0.1 * 0.45 = 0.045; at |x| = delta both forms give 0.005; 0.
    const expected = [0.00125, 0.045, 0.005, 0];
    expectClose(values(huberLoss(pred, target, { reduction: 'none' })), expected, 1e-6);
    expectClose(values(huberLoss(pred, target)), [0.05125], 1e-6);
    tf.dispose([pred, target]);
  });

  it('is delta times smooth L1 with beta = delta', () => {
    const pred = tf.tensor2d([[0.3, -0.02, 1.5, -0.7]]);
    const target = tf.tensor2d([[0.1, 0.01, -0.5, 0.2]]);
    const smooth = values(smoothL1Loss(pred, target, { beta: 0.25, reduction: 'none' }));
    expectClose(values(huberLoss(pred, target, { delta: 0.25, reduction: 'none' })), smooth.map((v) => v * 0.25), 1e-6);
    tf.dispose([pred, target]);
  });

  it('has the float64 central-difference gradient at 64 points (atol 1e-5)', () => {
    const random = seededRandom(5);
    const x: number[] = [];
    while (x.length < 64) {
      const v = Math.fround((random() - 0.5) * 0.6);
      if (Math.abs(v) > 1e-3 && Math.abs(Math.abs(v) - 0.1) > 1e-3) x.push(v);
    }
    const pred = tf.tensor1d(x);
    const target = tf.zerosLike(pred);
    const gradient = values(tf.grad((p: tf.Tensor) => huberLoss(p, target))(pred));
    const expected = numericGradient((p) => p.reduce((sum, v) => sum + huber(v, 0.1), 0), x);
    expectClose(gradient, expected, 1e-4, 1e-5);
    tf.dispose([pred, target]);
  });

  it('leaves no tensors behind and rejects a non-positive delta', () => {
    const pred = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 9);
    const target = tf.zerosLike(pred);
    const weights = tf.ones([2, 3, 1]);
    expectNoLeak(() => {
      for (const reduction of ['none', 'sum', 'mean'] as const) huberLoss(pred, target, { reduction, weights }).dispose();
      tf.grad((p: tf.Tensor) => huberLoss(p, target, { weights }))(pred).dispose();
      expect(() => huberLoss(pred, target, { delta: 0 })).toThrow(InvalidArgumentError);
      tf.tidy(() => void expect(() => huberLoss(pred, target, { weights: tf.ones([3, 2, 1]) })).toThrow(InvalidArgumentError));
    });
    tf.dispose([pred, target, weights]);
  });
});
