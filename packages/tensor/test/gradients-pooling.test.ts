// Finite-difference checks of the pooling and resize gradients: max-pool (including windows whose values
// are all negative under 'same' padding, and ties), average pool, nearest-neighbour and bilinear resize
// with batch 2.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { maxPoolSame, maxPoolSameZeroPad, upsampleNearestTo } from '@edet/tensor';
import { poolingGradients } from '../src/gradients/pooling.js';
import { resizeGradients } from '../src/gradients/resize.js';
import { KernelLog, LINEAR, randomTensor } from './gradients-check.js';

const log = new KernelLog();
// Distinct values 0.1 apart: a step of 0.02 never changes which entry of a window is the maximum.
const distinct = (shape: number[], seed: number, min = -2) =>
  randomTensor(shape, seed, { min, distinct: 0.1 }) as tf.Tensor4D;
const piecewiseLinear = { eps: 0.02, rtol: 1e-3, atol: 2e-3 };

type Pad = 'same' | 'valid';
const poolGeometries: [string, number, number, number, Pad][] = [
  ['3x3 stride 2 same, odd size', 5, 3, 2, 'same'],
  ['3x3 stride 2 same, even size', 6, 3, 2, 'same'],
  ['3x3 stride 1 same', 4, 3, 1, 'same'],
  ['3x3 stride 2 valid', 6, 3, 2, 'valid'],
  ['2x2 stride 2 valid', 5, 2, 2, 'valid'],
];

describe('MaxPool gradient', () => {
  for (const [name, size, k, stride, pad] of poolGeometries) {
    it(name, async () => {
      await log.check(
        (t) => tf.maxPool(t as tf.Tensor4D, k, stride, pad),
        [distinct([2, size, size, 2], size + k)],
        piecewiseLinear,
      );
    });
  }

  it("'same' padding where every value in the edge windows is negative", async () => {
    const x = distinct([2, 6, 6, 2], 7, -8); // all values in [-8, -0.9]
    await log.check((t) => tf.maxPool(t as tf.Tensor4D, 3, 2, 'same'), [x], piecewiseLinear);
    const g = tf.grad((t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, 3, 2, 'same'))(x);
    // Each of the 2*3*3*2 windows sends its whole gradient to one real input.
    expect(tf.sum(g).dataSync()[0]).toBeCloseTo(36, 4);
  });

  it('EfficientDet zero-padded max-pool (explicit zero pad, then valid pool)', async () => {
    await log.check((t) => maxPoolSameZeroPad(t as tf.Tensor4D), [distinct([2, 5, 5, 2], 8, -8)], piecewiseLinear);
    await log.check((t) => maxPoolSameZeroPad(t as tf.Tensor4D), [distinct([1, 6, 6, 2], 9, -3)], piecewiseLinear);
  });

  it('official (effdet / TF) max-pool: padding that never wins, odd and even sizes, all-negative edges', async () => {
    const negInf = (t: tf.Tensor) => maxPoolSame(t as tf.Tensor4D, 'neg-inf');
    await log.check(negInf, [distinct([2, 5, 5, 2], 8, -8)], piecewiseLinear);
    await log.check(negInf, [distinct([1, 6, 7, 2], 9, -3)], piecewiseLinear);
    // Every window sends its whole gradient to a real input, as with tf.maxPool 'same'.
    const x = distinct([1, 5, 6, 2], 10, -8);
    const g = tf.grad(negInf)(x);
    expect(tf.sum(g).dataSync()[0]).toBeCloseTo(3 * 3 * 2, 4);
    tf.dispose([x, g]);
  });

  it('nearest upsampling to an explicit size (crop after x2) passes gradients to the cells it reads', async () => {
    await log.check((t) => upsampleNearestTo(t as tf.Tensor4D, [5, 3]), [randomTensor([2, 3, 2, 2], 11)], LINEAR);
  });

  it('ties: the first maximum of a window (row-major) gets the gradient', () => {
    const g = tf.grad((t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid'))(tf.ones([1, 2, 4, 1]));
    expect(Array.from(g.dataSync())).toEqual([1, 0, 1, 0, 0, 0, 0, 0]);
    // Overlapping windows that share their maximum add up on it; the first window (pad, 0, 0) picks x[0].
    const h = tf.grad((t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, 3, 1, 'same'))(
      tf.tensor4d([0, 0, 5, 0], [1, 1, 4, 1]),
    );
    expect(Array.from(h.dataSync())).toEqual([1, 0, 3, 0]);
  });
});

describe('AvgPool gradient', () => {
  for (const [name, size, k, stride, pad] of poolGeometries) {
    it(name, async () => {
      await log.check(
        (t) => tf.avgPool(t as tf.Tensor4D, k, stride, pad),
        [randomTensor([2, size, size, 2], size * k)],
        LINEAR,
      );
    });
  }

  it('matches TensorFlow at the edges: windows average over their real inputs only', () => {
    // 3x3 'same' on a 1x3 row: windows cover 2, 3 and 2 real inputs.
    const g = tf.grad((t: tf.Tensor) => tf.avgPool(t as tf.Tensor4D, [1, 3], 1, 'same'))(tf.zeros([1, 1, 3, 1]));
    const expected = [1 / 2 + 1 / 3, 1 / 2 + 1 / 3 + 1 / 2, 1 / 3 + 1 / 2];
    Array.from(g.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
  });
});

describe('ResizeNearestNeighbor gradient (batch 2)', () => {
  const cases: [string, [number, number], [number, number], boolean, boolean][] = [
    ['integer upscale x2', [3, 3], [6, 6], false, false],
    ['integer upscale, different factors', [2, 3], [4, 9], false, false],
    ['integer upscale with half-pixel centres', [3, 2], [6, 6], false, true],
    ['non-integer upscale', [3, 3], [5, 7], false, false],
    ['align corners', [3, 3], [5, 6], true, false],
    ['half-pixel centres, non-integer', [3, 4], [5, 5], false, true],
    ['downscale', [6, 5], [3, 2], false, false],
  ];
  for (const [name, inSize, outSize, alignCorners, halfPixelCenters] of cases) {
    it(name, async () => {
      const x = randomTensor([2, ...inSize, 2], inSize[0] * 10 + outSize[1]);
      await log.check(
        (t) => tf.image.resizeNearestNeighbor(t as tf.Tensor4D, outSize, alignCorners, halfPixelCenters),
        [x],
        LINEAR,
      );
    });
  }
});

describe('ResizeBilinear gradient (batch 2)', () => {
  const cases: [string, [number, number], [number, number], boolean, boolean][] = [
    ['upscale', [3, 3], [5, 6], false, false],
    ['integer upscale', [2, 3], [4, 6], false, false],
    ['align corners', [3, 4], [5, 7], true, false],
    ['half-pixel centres', [3, 3], [6, 5], false, true],
    ['downscale', [6, 5], [4, 3], false, false],
  ];
  for (const [name, inSize, outSize, alignCorners, halfPixelCenters] of cases) {
    it(name, async () => {
      const x = randomTensor([2, ...inSize, 2], inSize[1] * 10 + outSize[0]);
      await log.check(
        (t) => tf.image.resizeBilinear(t as tf.Tensor4D, outSize, alignCorners, halfPixelCenters),
        [x],
        LINEAR,
      );
    });
  }
});

describe('coverage', () => {
  it('exercised every pooling and resize gradient', () => {
    expect(log.missing([...poolingGradients, ...resizeGradients])).toEqual([]);
  });
});
