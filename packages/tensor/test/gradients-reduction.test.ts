// Finite-difference checks of the reduction gradients (Sum, Mean, Max, Min, Prod, Cumsum), and of the
// batch-norm and matmul gradients that reduce over broadcast axes.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '@edet/tensor';
import { matMulGradients } from '../src/gradients/matmul.js';
import { normalizationGradients } from '../src/gradients/normalization.js';
import { reductionGradients } from '../src/gradients/reduction.js';
import { KernelLog, randomTensor } from './gradients-check.js';

const log = new KernelLog();
const r = (shape: number[], seed: number, options = {}) => randomTensor(shape, seed, options);

describe('reduction gradients', () => {
  it('Sum / Mean over one axis, several axes, negative axes, all axes, with and without keepDims', async () => {
    const x = r([2, 3, 4], 1);
    for (const reduce of [tf.sum, tf.mean]) {
      await log.check((t) => reduce(t, 1), [x]);
      await log.check((t) => reduce(t, [0, 2], true), [x]);
      await log.check((t) => reduce(t, -1), [x]);
      await log.check((t) => reduce(t), [x]);
    }
  });

  it('Max / Min send the gradient to the extreme entries', async () => {
    const x = r([3, 4], 2, { min: -1, distinct: 0.1 });
    for (const reduce of [tf.max, tf.min]) {
      await log.check((t) => reduce(t, 1), [x]);
      await log.check((t) => reduce(t, 0, true), [x]);
      await log.check((t) => reduce(t), [x]);
    }
  });

  it('Max splits the gradient evenly between ties', () => {
    const g = tf.grad((t: tf.Tensor) => tf.max(t))(tf.tensor([1, 3, 3, 2]));
    expect(Array.from(g.dataSync())).toEqual([0, 0.5, 0.5, 0]);
  });

  it('Prod, including zero entries', async () => {
    await log.check((t) => tf.prod(t, 1), [r([2, 4], 3, { min: 0.5, max: 1.5 })]);
    await log.check((t) => tf.prod(t, [0, 2]), [r([2, 3, 2], 4, { min: -1.5, max: 1.5 })]);
    await log.check((t) => tf.prod(t), [tf.tensor([0.5, 0, 2, -1.5])]);
    await log.check((t) => tf.prod(t, 0), [tf.tensor([0, 2, 0, 3], [2, 2])]);
  });

  it('Cumsum: every combination of exclusive and reverse', async () => {
    const x = r([3, 4], 5);
    for (const exclusive of [false, true]) {
      for (const reverse of [false, true]) {
        await log.check((t) => tf.cumsum(t, 1, exclusive, reverse), [x]);
      }
    }
    await log.check((t) => tf.cumsum(t, 0), [x]);
  });
});

describe('matmul gradient', () => {
  it('BatchMatMul with every transpose combination', async () => {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        const a = r(transposeA ? [3, 2] : [2, 3], 6);
        const b = r(transposeB ? [4, 3] : [3, 4], 7);
        await log.check((x, y) => tf.matMul(x, y, transposeA, transposeB), [a, b]);
      }
    }
  });

  it('BatchMatMul with batch axes and broadcasting', async () => {
    await log.check((x, y) => tf.matMul(x, y), [r([2, 2, 3], 8), r([2, 3, 2], 9)]);
    // tfjs broadcasts batch axes only when one side's (flattened) batch is 1 or both are equal.
    await log.check((x, y) => tf.matMul(x, y), [r([2, 2, 3], 10), r([3, 4], 11)]);
    await log.check((x, y) => tf.matMul(x, y, false, true), [r([1, 2, 3], 12), r([3, 4, 3], 13)]);
  });
});

describe('batch-norm gradient', () => {
  it('FusedBatchNorm with respect to x, mean, variance, offset and scale', async () => {
    const x = r([2, 3, 3, 4], 12);
    const mean = r([4], 13);
    const variance = r([4], 14, { min: 0.5, max: 1.5 });
    const offset = r([4], 15);
    const scale = r([4], 16, { min: 0.5, max: 1.5 });
    await log.check((t, m, v, o, s) => tf.batchNorm(t, m, v, o, s, 1e-3), [x, mean, variance, offset, scale]);
  });

  it('FusedBatchNorm with batch statistics from tf.moments (training mode)', async () => {
    const x = r([2, 3, 3, 2], 17, { min: -2, max: 2 });
    const scale = r([2], 18, { min: 0.5, max: 1.5 });
    await log.check(
      (t, s, o) => {
        const { mean, variance } = tf.moments(t, [0, 1, 2]);
        return tf.batchNorm(t, mean, variance, o, s, 1e-3);
      },
      [x, scale, r([2], 22)],
      { atol: 2e-3 },
    );
  });

  it('FusedBatchNorm on rank-2 input with rank-2 statistics', async () => {
    const stats = (seed: number, options = {}) => r([1, 4], seed, options);
    await log.check(
      (t, m, v, o, s) => tf.batchNorm(t, m, v, o, s),
      [r([3, 4], 19), stats(20), stats(21, { min: 0.5, max: 1.5 }), stats(23), stats(24, { min: 0.5, max: 1.5 })],
    );
  });
});

describe('coverage', () => {
  it('exercised every reduction, matmul and batch-norm gradient', () => {
    expect(log.missing([...reductionGradients, ...matMulGradients, ...normalizationGradients])).toEqual([]);
  });
});
