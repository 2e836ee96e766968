import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { upsampleNearest, maxPoolSameZeroPad, samePadding } from '@edet/tensor';

describe('smoke', () => {
  it('upsample and pool', () => {
    const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    expect(Array.from(upsampleNearest(x).dataSync())).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    expect(samePadding(512, 3, 2)).toEqual([0, 1]);
    expect(maxPoolSameZeroPad(tf.neg(x) as tf.Tensor4D).dataSync()[0]).toBe(0);
    expect(tf.getBackend()).toBe('wasm');
  });
});
