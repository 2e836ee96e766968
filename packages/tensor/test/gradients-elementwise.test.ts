// Finite-difference checks of the elementwise gradients: arithmetic (with broadcasting), unary math,
// activations, and the zero gradients of piecewise-constant / boolean kernels.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '@edet/tensor';
import { activationGradients } from '../src/gradients/activations.js';
import { arithmeticGradients } from '../src/gradients/arithmetic.js';
import { mathGradients } from '../src/gradients/math.js';
import { nonDifferentiableGradients } from '../src/gradients/non-differentiable.js';
import { KernelLog, checkGradients, randomTensor } from './gradients-check.js';

const log = new KernelLog();
const r = (shape: number[], seed: number, options = {}) => randomTensor(shape, seed, options);

describe('arithmetic gradients (broadcasting)', () => {
  it('Add / Sub / Multiply over broadcast shapes', async () => {
    await log.check((a, b) => tf.add(a, b), [r([2, 3], 1), r([3], 2)]);
    await log.check((a, b) => tf.add(a, b), [r([2, 1, 3], 3), r([4, 1], 4)]);
    await log.check((a, b) => tf.sub(a, b), [r([2, 3], 5), r([2, 1], 6)]);
    await log.check((a, b) => tf.mul(a, b), [r([2, 1, 3], 7), r([4, 1], 8)]);
    await log.check((a) => tf.mul(a, a), [r([3, 2], 9)]);
  });

  it('RealDiv, Pow, SquaredDifference, Atan2', async () => {
    await log.check((a, b) => tf.div(a, b), [r([2, 3], 10), r([3], 11, { min: 0.5, max: 1.5 })]);
    await log.check((a, b) => tf.pow(a, b), [r([2, 3], 12, { min: 0.5, max: 2 }), r([3], 13, { min: -1, max: 2 })]);
    await log.check((a, b) => tf.squaredDifference(a, b), [r([2, 3], 14), r([2, 1], 15)]);
    await log.check((a, b) => tf.atan2(a, b), [r([2, 3], 16), r([3], 17, { awayFromZero: 0.3 })]);
  });

  it('Pow with a non-positive base gives a finite zero exponent gradient', async () => {
    const a = tf.tensor([-2, 0, 3]);
    const b = tf.tensor([2, 2, 2]);
    const [, db] = tf.grads((x, y) => tf.pow(x, y))([a, b]);
    expect(Array.from(db.dataSync()).slice(0, 2)).toEqual([0, 0]);
    expect(Number.isFinite(db.dataSync()[2])).toBe(true);
  });

  it('Maximum / Minimum route each entry to exactly one input', async () => {
    // Values on interleaved grids: no pair closer than 0.05, so finite differences never cross a kink.
    const a = r([2, 3], 18, { min: -1, distinct: 0.1 });
    const b = r([3], 19, { min: -0.95, distinct: 0.1 });
    await log.check((x, y) => tf.maximum(x, y), [a, b]);
    await log.check((x, y) => tf.minimum(x, y), [a, b]);
    // Ties go to the first input.
    const [da, db] = tf.grads((x, y) => tf.maximum(x, y))([tf.tensor([1, 2]), tf.tensor([1, 3])]);
    expect(Array.from(da.dataSync())).toEqual([1, 0]);
    expect(Array.from(db.dataSync())).toEqual([0, 1]);
  });

  it('Mod and AddN', async () => {
    const a = tf.tensor([2.5, 3.7, -1.2, 4.1, 0.3, 5.5], [2, 3]);
    const b = tf.tensor([1.1, 1.6, 2.3]);
    await log.check((x, y) => tf.mod(x, y), [a, b]);
    await log.check((x, y, z) => tf.addN([x, y, z]), [r([2, 3], 20), r([2, 3], 21), r([2, 3], 22)]);
    await log.check((x) => tf.addN([x, x]), [r([2, 2], 23)]);
  });
});

describe('unary math gradients', () => {
  const cases: [string, (x: tf.Tensor) => tf.Tensor, object][] = [
    ['Neg', tf.neg, {}],
    ['Square', tf.square, {}],
    ['Sqrt', tf.sqrt, { min: 0.5, max: 2 }],
    ['Rsqrt', tf.rsqrt, { min: 0.5, max: 2 }],
    ['Reciprocal', tf.reciprocal, { min: -2, max: 2, awayFromZero: 0.5 }],
    ['Exp', tf.exp, {}],
    ['Expm1', tf.expm1, {}],
    ['Log', tf.log, { min: 0.5, max: 2 }],
    ['Log1p', tf.log1p, { min: -0.5, max: 1 }],
    ['Abs', tf.abs, { awayFromZero: 0.1 }],
    ['Sin', tf.sin, {}],
    ['Cos', tf.cos, {}],
    ['Tan', tf.tan, {}],
    ['Atan', tf.atan, { min: -2, max: 2 }],
    ['Asin', tf.asin, { min: -0.8, max: 0.8 }],
    ['Acos', tf.acos, { min: -0.8, max: 0.8 }],
    ['Sinh', tf.sinh, {}],
    ['Cosh', tf.cosh, {}],
    ['Asinh', tf.asinh, { min: -2, max: 2 }],
    ['Acosh', tf.acosh, { min: 1.2, max: 2 }],
    ['Atanh', tf.atanh, { min: -0.8, max: 0.8 }],
    ['Erf', tf.erf, {}],
    ['Identity', tf.clone, {}],
    ['Cast', (x) => tf.cast(x, 'float32'), {}],
  ];
  for (const [name, fn, options] of cases) {
    it(name, async () => {
      await log.check(fn, [r([2, 3], name.length * 31, options)]);
    });
  }

  it('ClipByValue passes inside the closed interval', async () => {
    const x = r([3, 4], 24, { min: -1.05, distinct: 0.2 }); // never within 0.05 of the bounds
    await log.check((t) => tf.clipByValue(t, -0.5, 0.5), [x]);
  });

  it('a cast to int stops the gradient', async () => {
    const x = tf.tensor([0.3, 1.4, -2.2]);
    await log.check((t) => tf.add(t, tf.cast(tf.cast(t, 'int32'), 'float32')), [x]);
  });
});

describe('activation gradients', () => {
  const cases: [string, (x: tf.Tensor) => tf.Tensor, object][] = [
    ['Relu', tf.relu, { awayFromZero: 0.05 }],
    ['LeakyRelu', (x) => tf.leakyRelu(x, 0.2), { awayFromZero: 0.05 }],
    ['Elu', tf.elu, { awayFromZero: 0.05 }],
    ['Selu', tf.selu, { awayFromZero: 0.05 }],
    ['Sigmoid', tf.sigmoid, { min: -3, max: 3 }],
    ['Softplus', tf.softplus, { min: -3, max: 3 }],
    ['Tanh', tf.tanh, {}],
  ];
  for (const [name, fn, options] of cases) {
    it(name, async () => {
      await log.check(fn, [r([2, 3], name.length * 17, options)]);
    });
  }

  it('Relu6 passes strictly inside (0, 6)', async () => {
    await log.check(tf.relu6, [r([3, 4], 25, { min: -1.95, distinct: 0.75 })]);
  });

  it('Prelu with a broadcast alpha', async () => {
    await log.check((x, a) => tf.prelu(x, a), [r([2, 2, 3], 26, { awayFromZero: 0.05 }), r([3], 27)]);
  });

  it('Softmax along the last axis', async () => {
    await log.check((x) => tf.softmax(x), [r([2, 4], 28, { min: -2, max: 2 })]);
  });

  it('LogSoftmax (no backend runs the kernel; its gradient matches tfjs customGrad)', () => {
    const logits = r([2, 5], 29, { min: -2, max: 2 });
    const dy = r([2, 5], 30);
    const expected = tf.grad((x: tf.Tensor) => tf.logSoftmax(x))(logits, dy);
    const config = activationGradients.find((g) => g.kernelName === 'LogSoftmax') as tf.GradConfig;
    const got = config.gradFunc(dy, [tf.logSoftmax(logits)], { axis: -1 }).logits();
    const diff = tf.max(tf.abs(tf.sub(got, expected))).dataSync()[0];
    expect(diff).toBeLessThan(1e-5);
    log.seen.add('LogSoftmax');
  });
});

describe('zero gradients of piecewise-constant and boolean kernels', () => {
  // Each case feeds a locally constant g(x) back into the loss: f(x) = x * (1 + float(g(x))), whose true
  // derivative is 1 + float(g(x)) exactly when g's gradient is zero.
  const x = tf.tensor([0.37, -1.62, 2.41, -0.28, 1.13, -2.74], [2, 3]);
  const gate = (g: (t: tf.Tensor) => tf.Tensor) => (t: tf.Tensor) => tf.mul(t, tf.add(1, tf.cast(g(t), 'float32')));
  const cases: [string, (t: tf.Tensor) => tf.Tensor][] = [
    ['Floor', tf.floor],
    ['Ceil', tf.ceil],
    ['Round', tf.round],
    ['Sign', tf.sign],
    ['Step', (t) => tf.step(t)],
    ['IsNan', tf.isNaN],
    ['IsInf', tf.isInf],
    ['IsFinite', tf.isFinite],
    ['Greater', (t) => tf.greater(t, 0)],
    ['GreaterEqual', (t) => tf.greaterEqual(t, 0.5)],
    ['Less', (t) => tf.less(t, 0)],
    ['LessEqual', (t) => tf.lessEqual(t, 0.5)],
    ['Equal', (t) => tf.equal(tf.round(t), 1)],
    ['NotEqual', (t) => tf.notEqual(tf.round(t), 1)],
    ['LogicalNot', (t) => tf.logicalNot(tf.greater(t, 0))],
    ['LogicalAnd', (t) => tf.logicalAnd(tf.greater(t, 0), tf.less(t, 1))],
    ['LogicalOr', (t) => tf.logicalOr(tf.greater(t, 1), tf.less(t, -1))],
    ['FloorDiv', (t) => tf.floorDiv(t, tf.scalar(0.7))],
    ['ZerosLike', tf.zerosLike],
    ['OnesLike', tf.onesLike],
    ['ArgMax', (t) => tf.expandDims(tf.argMax(t, 1), 1)],
    ['ArgMin', (t) => tf.expandDims(tf.argMin(t, 1), 1)],
    ['All', (t) => tf.all(tf.greater(t, -3))],
    ['Any', (t) => tf.any(tf.greater(t, 2))],
    ['OneHot', (t) => tf.sum(tf.oneHot(tf.argMax(t, 1), 3), 0)],
  ];
  for (const [name, g] of cases) {
    it(name, async () => {
      await log.check(gate(g), [x]);
    });
  }

  it('NonMaxSuppressionV3 / V4: gathered boxes get gradient, the selection none', async () => {
    const boxes = tf.tensor2d([0, 0, 1, 1, 0, 0, 0.9, 0.95, 2, 2, 3, 3, 5, 5, 6, 6], [4, 4]);
    const scores = tf.tensor1d([0.9, 0.8, 0.7, 0.1]);
    await log.check(
      (b, s) => tf.gather(b, tf.image.nonMaxSuppression(b as tf.Tensor2D, s as tf.Tensor1D, 3, 0.5)),
      [boxes, scores],
    );
    await log.check(
      (b, s) =>
        tf.gather(
          b,
          tf.image.nonMaxSuppressionPadded(b as tf.Tensor2D, s as tf.Tensor1D, 3, 0.5, -Infinity, true).selectedIndices,
        ),
      [boxes, scores],
    );
  });
});

describe('coverage', () => {
  // Runs last (vitest keeps file order): every gradient of these families went through a check above.
  it('exercised every elementwise gradient', () => {
    const families = [...arithmeticGradients, ...mathGradients, ...activationGradients, ...nonDifferentiableGradients];
    expect(log.missing(families)).toEqual([]);
  });
});
