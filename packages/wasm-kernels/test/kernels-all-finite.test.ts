/**
 * `EdetAllFinite` on wasm (through `allFinite` of `@edet/tensor`) against `tf.all(tf.isFinite(x))` on cpu:
 * NaN, +Infinity and -Infinity at every position of short arrays (the 4-lane body and the 0-3 values left
 * over), huge finite values that would overflow a plain sum, -0 and denormals, empty and scalar tensors; a
 * non-float32 input refused; no tensor or heap buffer left behind.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ALL_FINITE, allFinite } from '@edet/tensor';

import { isEdetKernel, registerWasmKernels } from '../src/index.js';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

let previous: string;

beforeAll(async () => {
  previous = tf.getBackend();
  await tf.setBackend('wasm');
  registerWasmKernels();
});

afterAll(async () => {
  await tf.setBackend(previous);
});

/** `allFinite` on `backend`, checking that it leaves no tensor or buffer behind. */
async function finiteOn(backend: 'wasm' | 'cpu', values: number[], shape: number[] = [values.length]): Promise<boolean> {
  await tf.setBackend(backend);
  const x = tf.tensor(values, shape, 'float32');
  const tensors = tf.memory().numTensors;
  const buffers = tf.engine().backend.numDataIds();
  const result = allFinite(x);
  expect(result.dtype).toBe('bool');
  expect(result.shape).toEqual([]);
  const [finite] = result.dataSync();
  result.dispose();
  expect(tf.memory().numTensors).toBe(tensors);
  expect(tf.engine().backend.numDataIds()).toBe(buffers);
  x.dispose();
  return finite === 1;
}

describe('EdetAllFinite on wasm', () => {
  it('is the edet kernel', () => {
    expect(isEdetKernel(ALL_FINITE, 'wasm')).toBe(true);
  });

  it('finds NaN and the infinities at every position, in the vector body and in the values left over', async () => {
    for (const length of [1, 3, 4, 5, 8, 11]) {
      for (const special of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
        for (let at = 0; at < length; at++) {
          const values = Array.from({ length }, (_, i) => (i === at ? special : i - 2.5));
          expect(await finiteOn('wasm', values), `${special} at ${at} of ${length}`).toBe(false);
        }
      }
      expect(await finiteOn('wasm', Array.from({ length }, (_, i) => i * 0.5)), `finite ${length}`).toBe(true);
    }
  });

  it('says true for huge finite values, -0 and denormals, and for empty and scalar tensors, as cpu does', async () => {
    const cases: [number[], number[]][] = [
      [Array.from({ length: 9 }, (_, i) => (i % 2 === 0 ? 3.4e38 : -3.4e38)), [9]],
      [[-0, 0, 1e-45, -1e-40, 5], [5]],
      [[], [0]],
      [[], [2, 0, 3]],
      [[7], []],
      [[Number.NaN], []],
      [Array.from({ length: 3 * 13 * 17 }, (_, i) => Math.sin(i) * 1e6), [1, 3, 13, 17]],
    ];
    for (const [values, shape] of cases) {
      expect(await finiteOn('wasm', values, shape), `${shape}`).toBe(await finiteOn('cpu', values, shape));
    }
  });

  it('refuses a tensor that is not float32', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor1d([1, 2], 'int32');
    expect(() => tf.engine().runKernel(ALL_FINITE, { x }, {})).toThrow(/float32/);
    // allFinite itself composes tfjs ops for other dtypes.
    expect(allFinite(x).dataSync()[0]).toBe(1);
    x.dispose();
  });
});
