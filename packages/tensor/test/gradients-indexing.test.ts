// Finite-difference checks of the gradients of the entry-picking kernels: slices, strided slices, gathers,
// select and top-k.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '@edet/tensor';
import { indexingGradients } from '../src/gradients/indexing.js';
import { LINEAR, KernelLog, onCpu, randomTensor } from './gradients-check.js';

const log = new KernelLog();
const r = (shape: number[], seed: number, options = {}) => randomTensor(shape, seed, options);
// These kernels are linear in each argument, so finite differences are exact up to rounding.
const linear = LINEAR;

describe('indexing gradients', () => {
  it('Slice, with -1 sizes and a scalar begin', async () => {
    const x = r([3, 4, 2], 1);
    await log.check((t) => tf.slice(t, [1, 0, 1], [2, 3, 1]), [x], linear);
    await log.check((t) => tf.slice(t, [0, 2], [-1, -1]), [x], linear);
    await log.check((t) => tf.slice(t, 1), [x], linear);
  });

  it('StridedSlice: strides, negative strides, masks, new and shrunk axes', async () => {
    const x = r([5, 6, 3], 2);
    await log.check((t) => tf.stridedSlice(t, [0, 1, 0], [5, 6, 3], [2, 2, 1]), [x], linear);
    // Rank 5, strided on the middle axes: the zeros go in through rank-4 pads (tfjs-backend-webgl's packed
    // pad does not compile above rank 4).
    await log.check((t) => tf.stridedSlice(t, [0, 1, 0, 0, 0], [2, 5, 3, 2, 2], [1, 2, 2, 1, 1]), [r([2, 5, 3, 2, 2], 12)], linear);
    await log.check((t) => tf.stridedSlice(t, [4, 5, 0], [0, 0, 3], [-2, -3, 1]), [x], linear);
    await log.check((t) => tf.stridedSlice(t, [-1, 0, 0], [0, 0, 0], [-1, 1, 1], 0b110, 0b111), [x], linear);
    // Shrink the last axis. (tfjs 4.22's forward is wrong when a shrunk axis follows a strided one, so the
    // strides here are 1.)
    await log.check((t) => tf.stridedSlice(t, [0, 1, 2], [0, 4, 3], [1, 1, 1], 0b001, 0b001, 0, 0, 0b100), [x], linear);
    await log.check((t) => tf.stridedSlice(t, [0, 0, 1], [0, 0, 3], [1, 1, 1], 0, 0, 0b010, 0b001), [x], linear);
    await log.check((t) => tf.stridedSlice(t, [2], [3], [1], 0, 0, 0, 0, 0b1), [x], linear);
  });

  it('GatherV2: axis 0 and 1, repeated indices, batchDims', async () => {
    const x = r([4, 3, 2], 3);
    await log.check((t) => tf.gather(t, tf.tensor1d([2, 0, 2, 3], 'int32')), [x], linear);
    await log.check(
      (t) =>
        tf.gather(
          t,
          tf.tensor2d(
            [
              [1, 1],
              [0, 2],
            ],
            [2, 2],
            'int32',
          ),
          1,
        ),
      [x],
      linear,
    );
    // tfjs 4.22's wasm GatherV2 gets batchDims > 0 wrong in the forward pass, so that case runs on cpu.
    await onCpu(() =>
      log.check(
        (t) =>
          tf.gather(
            t,
            tf.tensor2d(
              [
                [1, 1, 0],
                [2, 0, 2],
                [0, 0, 0],
                [1, 2, 1],
              ],
              [4, 3],
              'int32',
            ),
            1,
            1,
          ),
        [x],
        linear,
      ),
    );
  });

  it('GatherNd with repeated indices', async () => {
    const x = r([3, 4, 2], 4);
    await log.check(
      (t) =>
        tf.gatherND(
          t,
          tf.tensor2d(
            [
              [0, 1],
              [2, 3],
              [0, 1],
            ],
            [3, 2],
            'int32',
          ),
        ),
      [x],
      linear,
    );
    await log.check((t) => tf.gatherND(t, tf.tensor2d([[2], [2]], [2, 1], 'int32')), [x], linear);
  });

  it('Select via tf.where, with a broadcast condition and a mask computed from the input', async () => {
    const a = r([2, 3], 5);
    const b = r([2, 3], 6);
    await log.check((x, y) => tf.where(tf.tensor1d([true, false, true], 'bool'), x, y), [a, b], linear);
    await log.check(
      (x, y) => tf.where(tf.greater(x, y), tf.mul(x, 3), y),
      [a, r([2, 3], 7, { min: -1.05, distinct: 0.2 })],
    );
  });

  it('TopK', async () => {
    const x = r([2, 5], 8, { min: -1, distinct: 0.1 });
    await log.check((t) => tf.topk(t, 3).values, [x]);
    await log.check((t) => tf.mul(tf.topk(t, 2).values, 2), [r([3, 2, 4], 9, { min: -1, distinct: 0.1 })]);
  });

  it('indices get a float32 zero gradient when they depend on the input', () => {
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.gather(t, tf.argMax(t))))(tf.tensor([0.1, 0.5, 0.2]));
    expect(Array.from(g.dataSync())).toEqual([0, 1, 0]);
  });
});

describe('coverage', () => {
  it('exercised every indexing gradient', () => {
    expect(log.missing(indexingGradients)).toEqual([]);
  });
});
