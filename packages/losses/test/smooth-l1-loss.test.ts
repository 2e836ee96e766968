import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { InvalidArgumentError } from '@edet/tensor';
import { smoothL1Loss } from '@edet/losses';

import { expectClose, expectFinite, expectNoLeak, values } from './support/expect.js';
import { numericGradient, seededRandom, smoothL1 } from './support/float64.js';

const BETA = 1 / 9;

/** Differences x = pred - target in both regimes, kept 1e-3 away from the kinks at 0 and ±beta. */
function differences(count: number, seed: number): number[] {
  const random = seededRandom(seed);
  const out: number[] = [];
  while (out.length < count) {
    const x = Math.fround((random() - 0.5) * 0.8);
    if (Math.abs(x) > 1e-3 && Math.abs(Math.abs(x) - BETA) > 1e-3) out.push(x);
  }
  return out;
}

describe('smoothL1Loss', () => {
  it('matches hand-worked values: quadratic inside beta, linear outside (beta 1/9)', () => {
    const pred = tf.tensor1d([0.05, -0.5, 2, 0]);
    const target = tf.tensor1d([0, 0, 1, 0]);
    // 0.5 * 0.05^2 * 9 = 0.01125; 0.5 - 1/18; 1 - 1/18; 0.
    const expected = [0.01125, 0.5 - 1 / 18, 1 - 1 / 18, 0];
    expectClose(values(smoothL1Loss(pred, target, { reduction: 'none' })), expected, 1e-6);
    expectClose(values(smoothL1Loss(pred, target)), [expected.reduce((a, b) => a + b)], 1e-6);
    expectClose(values(smoothL1Loss(pred, target, { reduction: 'mean' })), [expected.reduce((a, b) => a + b) / 4], 1e-6);
    tf.dispose([pred, target]);
  });

  it('is L1 at beta 0 and matches the float64 definition for beta 1', () => {
    const x = differences(16, 3);
    const pred = tf.tensor1d(x);
    const target = tf.zerosLike(pred);
    expectClose(values(smoothL1Loss(pred, target, { beta: 0, reduction: 'none' })), x.map(Math.abs), 1e-6);
    expectClose(values(smoothL1Loss(pred, target, { beta: 1, reduction: 'none' })), x.map((v) => smoothL1(v, 1)), 1e-5);
    tf.dispose([pred, target]);
  });

  it('weights per box: [N, A, 1] masks whole anchors of [N, A, 4] deltas', () => {
    const pred = tf.tensor3d([[[0.5, 0.5, 0.5, 0.5], [1, 1, 1, 1]]]);
    const target = tf.zerosLike(pred);
    const weights = tf.tensor3d([[[1], [0]]]);
    expectClose(values(smoothL1Loss(pred, target, { weights })), [4 * (0.5 - 1 / 18)], 1e-6);
    tf.dispose([pred, target, weights]);
  });

  for (const beta of [BETA, 0]) {
    it(`has the float64 central-difference gradient at 64 points (beta ${beta.toFixed(3)}, atol 1e-5)`, () => {
      const x = differences(64, 11);
      const targetValues = x.map((_, i) => (i % 7) * 0.1);
      const pred = tf.tensor1d(x.map((v, i) => v + targetValues[i]));
      const target = tf.tensor1d(targetValues);
      const gradient = values(tf.grad((p: tf.Tensor) => smoothL1Loss(p, target, { beta }))(pred));
      const predValues = Array.from(pred.dataSync());
      const expected = numericGradient(
        (p) => p.reduce((sum, v, i) => sum + smoothL1(v - targetValues[i], beta), 0),
        predValues,
      );
      expectClose(gradient, expected, 1e-4, 1e-5);
      tf.dispose([pred, target]);
    });
  }

  it('has a finite gradient (0) where pred equals target, and leaves no tensors behind', () => {
    const pred = tf.tensor2d([[1, 2, 3, 4]]);
    const target = tf.tensor2d([[1, 2, 3, 4]]);
    expectNoLeak(() => {
      for (const reduction of ['none', 'sum', 'mean'] as const) smoothL1Loss(pred, target, { reduction }).dispose();
      const gradient = values(tf.grad((p: tf.Tensor) => smoothL1Loss(p, target))(pred));
      expectFinite(gradient);
      expect(gradient).toEqual([0, 0, 0, 0]);
    });
    tf.dispose([pred, target]);
  });

  it('rejects mismatched shapes and a negative beta', () => {
    const pred = tf.zeros([2, 4]);
    expectNoLeak(() => {
      tf.tidy(() => void expect(() => smoothL1Loss(pred, tf.zeros([4, 2]))).toThrow(InvalidArgumentError));
      expect(() => smoothL1Loss(pred, pred, { beta: -0.1 })).toThrow(InvalidArgumentError);
    });
    pred.dispose();
  });
});
