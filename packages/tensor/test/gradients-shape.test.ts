// Finite-difference checks of the gradients of the value-moving kernels: reshape, transpose, tile,
// broadcast, pads, concat / stack / split, reverse, space-batch shuffles.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '@edet/tensor';
import { shapeGradients } from '../src/gradients/shape.js';
import { LINEAR, KernelLog, randomTensor } from './gradients-check.js';

const log = new KernelLog();
const r = (shape: number[], seed: number) => randomTensor(shape, seed);
// These kernels are linear in each argument, so finite differences are exact up to rounding.
const linear = LINEAR;

describe('shape gradients', () => {
  it('Reshape, ExpandDims, Transpose', async () => {
    const x = r([2, 3, 4], 1);
    await log.check((t) => tf.reshape(t, [4, 6]), [x], linear);
    await log.check((t) => tf.expandDims(t, 1), [x], linear);
    await log.check((t) => tf.squeeze(tf.expandDims(t, 0)), [x], linear);
    await log.check((t) => tf.transpose(t, [2, 0, 1]), [x], linear);
  });

  it('Tile and broadcastTo (which tfjs runs as Tile)', async () => {
    await log.check((t) => tf.tile(t, [2, 1, 3]), [r([2, 3, 1], 2)], linear);
    await log.check((t) => tf.broadcastTo(t, [2, 3, 4]), [r([3, 1], 3)], linear);
    // Rank 6 with several tiled axes: summed one axis at a time (a rank-12 view needs a transpose that
    // tfjs-backend-webgl has no packed shader for), and an empty input.
    await log.check((t) => tf.tile(t, [2, 1, 3, 1, 2, 1]), [r([1, 2, 1, 2, 1, 2], 4)], linear);
    await log.check((t) => tf.broadcastTo(t, [2, 2, 2, 1, 2, 3]), [r([2, 1, 2, 1, 1, 3], 5)], linear);
    // Empty outputs, given an empty dy (the GPU backends cannot sum an empty tensor in the forward pass).
    const [empty, x] = [tf.zeros([2, 0, 3]), r([2, 3], 6)];
    const [emptyDy, zeroRepDy] = [tf.zeros([6, 0, 3]), tf.zeros([0, 6])];
    const emptyGrad = tf.grad((t: tf.Tensor) => tf.tile(t, [3, 2, 1]))(empty, emptyDy);
    expect(emptyGrad.shape).toEqual([2, 0, 3]);
    // Tiled zero times, x is not in the output: a zero gradient of x's shape.
    const zeroRepGrad = tf.grad((t: tf.Tensor) => tf.tile(t, [0, 2]))(x, zeroRepDy);
    expect(zeroRepGrad.shape).toEqual([2, 3]);
    expect(Array.from(zeroRepGrad.dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
    tf.dispose([empty, x, emptyDy, zeroRepDy, emptyGrad, zeroRepGrad]);
  });

  it('BroadcastTo (no backend runs the kernel; checked on its gradient function)', () => {
    const config = shapeGradients.find((g) => g.kernelName === 'BroadcastTo') as tf.GradConfig;
    const x = tf.zeros([3, 1]);
    const dy = tf.tensor3d(
      Array.from({ length: 24 }, (_, i) => i),
      [2, 3, 4],
    );
    const got = config.gradFunc(dy, [x], { shape: [2, 3, 4] }).x();
    expect(got.shape).toEqual([3, 1]);
    expect(Array.from(got.dataSync())).toEqual(Array.from(tf.sum(dy, [0, 2]).dataSync()));
    log.seen.add('BroadcastTo');
  });

  it('PadV2', async () => {
    const paddings: [number, number][] = [[1, 2], [0, 3]];
    await log.check((t) => tf.pad(t, paddings, 0.5), [r([2, 3], 4)], linear);
  });

  it('MirrorPad, reflect and symmetric, uneven sides', async () => {
    const x = r([2, 4, 3], 5);
    const unevenSides: [number, number][][] = [
      [[1, 0], [2, 3], [0, 2]],
      [[0, 1], [3, 0], [1, 1]],
    ];
    for (const mode of ['reflect', 'symmetric'] as const) {
      for (const paddings of unevenSides) await log.check((t) => tf.mirrorPad(t, paddings, mode), [x], linear);
    }
    // symmetric may pad the whole length
    const wholeLength: [number, number][] = [[2, 2], [4, 4], [3, 3]];
    await log.check((t) => tf.mirrorPad(t, wholeLength, 'symmetric'), [x], linear);
  });

  it('Concat along several axes', async () => {
    const parts = [r([2, 1, 3], 6), r([2, 2, 3], 7), r([2, 3, 3], 8)];
    await log.check((a, b, c) => tf.concat([a, b, c], 1), parts, linear);
    await log.check((a, b) => tf.concat([a, b], -1), [r([2, 3], 9), r([2, 2], 10)], linear);
  });

  it('Pack, Unpack (some outputs unused), SplitV (some parts unused)', async () => {
    await log.check((a, b) => tf.stack([a, b], 1), [r([2, 3], 11), r([2, 3], 12)], linear);
    await log.check((t) => tf.unstack(t, 1)[2], [r([2, 3, 2], 13)], linear);
    await log.check((t) => tf.mul(tf.unstack(t, 0)[0], tf.unstack(t, 0)[1]), [r([2, 3], 14)]);
    await log.check((t) => tf.split(t, [1, 3, 2], 1)[1], [r([2, 6], 15)], linear);
    await log.check(
      (t) => {
        const [a, , c] = tf.split(t, 3, 0);
        return tf.add(a, tf.mul(c, 2));
      },
      [r([3, 2], 16)],
      linear,
    );
  });

  it('Reverse', async () => {
    await log.check((t) => tf.reverse(t, [0, 2]), [r([2, 3, 2], 17)], linear);
  });

  it('SpaceToBatchND and BatchToSpaceND', async () => {
    // The paddings of the one and the crops of the other.
    const edges: [number, number][] = [[0, 1], [1, 0]];
    await log.check((t) => tf.spaceToBatchND(t, [2, 2], edges), [r([1, 3, 3, 2], 18)], linear);
    await log.check((t) => tf.batchToSpaceND(t, [2, 2], edges), [r([4, 2, 2, 1], 19)], linear);
  });
});

describe('coverage', () => {
  it('exercised every shape gradient', () => {
    expect(log.missing(shapeGradients)).toEqual([]);
  });
});
