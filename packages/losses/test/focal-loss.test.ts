import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { InvalidArgumentError } from '@edet/tensor';
import { sigmoidFocalLoss } from '@edet/losses';

import { isGpuBackend } from '../../../tooling/test/tolerance.js';
import { expectClose, expectFinite, expectNoLeak, values } from './support/expect.js';
import { focal, sigmoid } from './support/float64.js';

/** Per-element focal loss of 1-D logits/targets as numbers (reduction 'none'). */
function elementLoss(logits: number[], targets: number[], options: { alpha?: number; gamma?: number } = {}): number[] {
  const x = tf.tensor1d(logits);
  const t = tf.tensor1d(targets);
  const out = values(sigmoidFocalLoss(x, t, { ...options, reduction: 'none' }));
  tf.dispose([x, t]);
  return out;
}

/** d(sum of focal loss)/d(logit) per element, from the tape. */
function tapeGradient(logits: number[], targets: number[], gamma: number): number[] {
  const x = tf.tensor1d(logits);
  const t = tf.tensor1d(targets);
  const grad = tf.grad((input: tf.Tensor) => sigmoidFocalLoss(input, t, { gamma }));
  const out = values(grad(x));
  tf.dispose([x, t]);
  return out;
}

describe('sigmoidFocalLoss values', () => {
  it('matches a value worked by hand: logit 0, target 1 gives 0.25 * 0.5^2 * ln 2', () => {
    expectClose(elementLoss([0], [1]), [0.25 * 0.25 * Math.LN2], 1e-6);
  });

  it('matches the float64 definition element-wise (rtol 1e-5), for gamma 2 and 1.5 and alpha 0.25 and 0.6', () => {
    const logits = [2, -1, 0.5, 0, -3.5, 4, 7.25, -0.125];
    const targets = [1, 0, 0, 1, 1, 0, 1, 0];
    for (const [alpha, gamma] of [[0.25, 2], [0.25, 1.5], [0.6, 2]]) {
      const expected = logits.map((x, i) => focal(x, targets[i], alpha, gamma));
      expectClose(elementLoss(logits, targets, { alpha, gamma }), expected, 1e-5);
    }
  });

  it('is alpha-weighted binary cross-entropy at gamma 0', () => {
    const logits = [1.5, -2, 0.3];
    const targets = [1, 1, 0];
    const expected = logits.map((x, i) => {
      const p = sigmoid(x);
      return targets[i] === 1 ? -0.25 * Math.log(p) : -0.75 * Math.log(1 - p);
    });
    expectClose(elementLoss(logits, targets, { gamma: 0 }), expected, 1e-5);
  });

  it('sums by default, averages with mean, and applies weights before reducing', () => {
    const logits = tf.tensor2d([[1, -2], [0.5, 3]]);
    const targets = tf.tensor2d([[1, 0], [0, 1]]);
    const weights = tf.tensor2d([[1], [0]]); // [2, 1] broadcast over the second axis: masks row 1
    const each = [1, -2, 0.5, 3].map((x, i) => focal(x, [1, 0, 0, 1][i], 0.25, 2));
    const sum = each.reduce((a, b) => a + b, 0);
    expectClose(values(sigmoidFocalLoss(logits, targets)), [sum], 1e-5);
    expectClose(values(sigmoidFocalLoss(logits, targets, { reduction: 'mean' })), [sum / 4], 1e-5);
    expectClose(values(sigmoidFocalLoss(logits, targets, { weights })), [each[0] + each[1]], 1e-5);
    const none = sigmoidFocalLoss(logits, targets, { reduction: 'none', weights });
    expect(none.shape).toEqual([2, 2]);
    expectClose(values(none), [each[0], each[1], 0, 0], 1e-5);
    tf.dispose([logits, targets, weights]);
  });

  it('accepts int32 one-hot targets', () => {
    const logits = tf.tensor1d([0.7, -0.7]);
    const targets = tf.tensor1d([1, 0], 'int32');
    expectClose(values(sigmoidFocalLoss(logits, targets)), [focal(0.7, 1, 0.25, 2) + focal(-0.7, 0, 0.25, 2)], 1e-5);
    tf.dispose([logits, targets]);
  });
});

describe('sigmoidFocalLoss at extreme logits', () => {
  // margin z = logit for positives, -logit for negatives.
  const margins = [50, 200, 1e4, -50, -200, -1e4];

  for (const gamma of [2, 1.5]) {
    it(`is finite and matches its asymptotes at margins ±50, ±200, ±1e4 (gamma ${gamma})`, () => {
      for (const target of [0, 1]) {
        const logits = margins.map((z) => (target === 1 ? z : -z));
        const targets = margins.map(() => target);
        const alphaT = target === 1 ? 0.25 : 0.75;
        const loss = elementLoss(logits, targets, { gamma });
        expectFinite(loss);
        margins.forEach((z, i) => {
          if (z > 0) {
            // Right and confident: -log(p_t) ~ e^-z and (1 - p_t)^gamma ~ e^(-gamma z), far below float32.
            expect(loss[i]).toBeGreaterThanOrEqual(0);
            expect(loss[i]).toBeLessThan(1e-30);
          } else {
            // Wrong and confident: p_t ~ e^z, so -log(p_t) ~ |z| and (1 - p_t)^gamma ~ 1.
            expectClose([loss[i]], [alphaT * -z], 1e-6);
          }
        });
        // Gradient: 0 when right, -alpha_t * dz/dlogit when wrong (the slope of alpha_t * softplus(-z)).
        const gradient = tapeGradient(logits, targets, gamma);
        expectFinite(gradient);
        const sign = target === 1 ? 1 : -1;
        expectClose(gradient, margins.map((z) => (z > 0 ? 0 : -alphaT * sign)), 1e-6, 1e-30);
      }
    });
  }
});

describe('sigmoidFocalLoss gradient', () => {
  // 200 margins whose p_t = sigmoid(z) runs from 1e-6 to 1 - 1e-6.
  const edge = Math.log((1 - 1e-6) / 1e-6);
  const margins = Array.from({ length: 200 }, (_, i) => Math.fround(-edge + (2 * edge * i) / 199));

  /**
   * The closed form dFL/dp_t = alpha_t gamma (1 - p_t)^(gamma - 1) log(p_t) - alpha_t (1 - p_t)^gamma / p_t,
   * times dp_t/dlogit = ±p (1 - p) = ±p_t (1 - p_t). Evaluated in float64 with 1 - p_t taken as sigmoid(-z),
   * so nothing cancels. (The spec prints the first term with an extra factor p_t; differentiating
   * -alpha_t (1 - p_t)^gamma log(p_t) does not give one: the p_t-weighted form is the paper's dFL/dx,
   * checked below, where the whole expression is multiplied by p_t (1 - p_t).)
   */
  function closedForm(z: number, target: number, alpha: number, gamma: number): number {
    const pt = sigmoid(z);
    const q = sigmoid(-z); // 1 - p_t
    const alphaT = target === 1 ? alpha : 1 - alpha;
    const dFlDpt = alphaT * gamma * q ** (gamma - 1) * Math.log(pt) - (alphaT * q ** gamma) / pt;
    const dPtDLogit = (target === 1 ? 1 : -1) * pt * q;
    return dFlDpt * dPtDLogit;
  }

  /** Lin et al., appendix: dFL/dx = y alpha_t (1 - p_t)^gamma (gamma p_t log(p_t) + p_t - 1), y = ±1. */
  function paperForm(z: number, target: number, alpha: number, gamma: number): number {
    const pt = sigmoid(z);
    const q = sigmoid(-z);
    const alphaT = target === 1 ? alpha : 1 - alpha;
    return (target === 1 ? 1 : -1) * alphaT * q ** gamma * (gamma * pt * Math.log(pt) - q);
  }

  // Shaders' float32 exp/log lose up to 3e-2 relative on gradients of ~1e-18 at p_t = 1 - 1e-6 (measured on
  // SwiftShader, WebGL and WebGPU alike); cpu and wasm stay within 1e-4.
  const tailTolerance = isGpuBackend(tf.getBackend()) ? 5e-2 : 1e-4;
  for (const gamma of [2, 1.5]) {
    for (const target of [0, 1]) {
      it(`equals the closed form at 200 points, p_t in [1e-6, 1 - 1e-6] (gamma ${gamma}, target ${target}, rtol 1e-4)`, () => {
        const logits = margins.map((z) => (target === 1 ? z : -z));
        const targets = margins.map(() => target);
        const gradient = tapeGradient(logits, targets, gamma);
        expectFinite(gradient);
        expectClose(gradient, margins.map((z) => closedForm(z, target, 0.25, gamma)), tailTolerance);
        expectClose(gradient, margins.map((z) => paperForm(z, target, 0.25, gamma)), tailTolerance);
      });
    }
  }

  it('vanishes as p_t -> 1 and has no NaN where p_t rounds to 1 in float32 (gamma 1.5)', () => {
    const gradient = tapeGradient([20, 40, 90, -20, -40, -90], [1, 1, 1, 0, 0, 0], 1.5);
    expectFinite(gradient);
    for (const value of gradient) expect(Math.abs(value)).toBeLessThan(1e-10);
  });
});

describe('sigmoidFocalLoss memory and errors', () => {
  it('leaves no tensors behind, for the loss and for tf.grad', () => {
    const logits = tf.randomNormal([2, 5, 3], 0, 3, 'float32', 1);
    const targets = tf.cast(tf.greater(tf.randomUniform([2, 5, 3], 0, 1, 'float32', 2), 0.8), 'float32');
    const weights = tf.ones([2, 5, 1]);
    expectNoLeak(() => {
      for (const reduction of ['none', 'sum', 'mean'] as const) {
        sigmoidFocalLoss(logits, targets, { reduction, weights, gamma: 1.5 }).dispose();
      }
    });
    expectNoLeak(() => {
      const grad = tf.grad((x: tf.Tensor) => sigmoidFocalLoss(x, targets, { weights }));
      grad(logits).dispose();
    });
    tf.dispose([logits, targets, weights]);
  });

  it('rejects mismatched shapes, bad alpha/gamma/reduction and weights that do not broadcast', () => {
    const logits = tf.zeros([2, 3]);
    const targets = tf.zeros([2, 3]);
    expectNoLeak(() => {
      const cases: Array<() => unknown> = [
        () => sigmoidFocalLoss(logits, tf.zeros([3, 2])),
        () => sigmoidFocalLoss(logits, targets, { alpha: 1.5 }),
        () => sigmoidFocalLoss(logits, targets, { gamma: -1 }),
        () => sigmoidFocalLoss(logits, targets, { gamma: Number.NaN }),
        () => sigmoidFocalLoss(logits, targets, { reduction: 'max' as never }),
        () => sigmoidFocalLoss(logits, targets, { weights: tf.ones([4]) }),
        () => sigmoidFocalLoss(logits, targets, { weights: tf.ones([1, 2, 3]) }),
      ];
      for (const run of cases) tf.tidy(() => void expect(run).toThrow(InvalidArgumentError));
    });
    tf.dispose([logits, targets]);
  });
});
