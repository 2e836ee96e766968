/**
 * The wasm `Slice`, `SplitV` and `Concat` replacements against the cpu backend: bit-exact results over
 * ranks 1..5, inner / outer / negative axes, `size` -1, 0-size parts and inputs, float32 and int32, and
 * the D0 training shapes they were written for; no tensors or heap buffers left behind; their gradients.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { isEdetKernel, registerWasmKernels } from '../src/index.js';
import { rng } from '../../tensor/test/gradients-check.js';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

type Dtype = 'float32' | 'int32';

/** Seeded values: floats in [-1, 1) with a NaN and infinities mixed in, or int32s over their whole range. */
function values(shape: number[], seed: number, dtype: Dtype): Float32Array | Int32Array {
  const next = rng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  if (dtype === 'int32') {
    const out = new Int32Array(size);
    for (let i = 0; i < size; i++) out[i] = Math.floor(next() * 2 ** 32) - 2 ** 31;
    return out;
  }
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = 2 * next() - 1;
  [NaN, Infinity, -Infinity, -0].forEach((special) => {
    if (size > 0) out[Math.floor(next() * size)] = special;
  });
  return out;
}

/** A built tensor's shape, dtype and bits. */
interface Result {
  shape: number[];
  dtype: string;
  bits: Int32Array;
}

/**
 * Runs `build` on `backend` inside a tidy and returns its outputs as plain data; expects no tensor and no
 * backend buffer to be left over.
 */
async function runOn(backend: 'wasm' | 'cpu', build: () => tf.Tensor | tf.Tensor[]): Promise<Result[]> {
  await tf.setBackend(backend);
  const tensors = tf.memory().numTensors;
  const buffers = tf.engine().backend.numDataIds();
  // Read outside the tidy: it would walk every element of returned typed arrays looking for tensors.
  const outputs = tf.tidy(() => [build()].flat());
  const results = outputs.map((t) => {
    const data = t.dataSync() as Float32Array | Int32Array | Uint8Array;
    // Bit patterns of floats (so NaNs compare equal and -0 differs from 0); bools one per element.
    const bits = data instanceof Uint8Array ? Int32Array.from(data) : new Int32Array(data.buffer, data.byteOffset, data.length);
    return { shape: t.shape, dtype: t.dtype, bits };
  });
  tf.dispose(outputs);
  expect(tf.memory().numTensors, `${backend}: tensors left`).toBe(tensors);
  expect(tf.engine().backend.numDataIds(), `${backend}: buffers left`).toBe(buffers);
  return results;
}

/** Expects `build` to give the same shapes, dtypes and bits on wasm as on cpu. */
async function expectSameAsCpu(label: string, build: () => tf.Tensor | tf.Tensor[]): Promise<void> {
  const got = await runOn('wasm', build);
  const want = await runOn('cpu', build);
  expect(got.length, label).toBe(want.length);
  got.forEach((g, i) => {
    const where = `${label}, output ${i}`;
    expect(g.shape, where).toEqual(want[i].shape);
    expect(g.dtype, where).toBe(want[i].dtype);
    expect(g.bits.length, where).toBe(want[i].bits.length);
    const first = g.bits.findIndex((bits, j) => bits !== want[i].bits[j]);
    expect(first, `${where}: first differing element`).toBe(-1);
  });
}

let previous: string;

beforeAll(async () => {
  previous = tf.getBackend();
  // Works under EDET_TEST_BACKEND=cpu too: loads wasm (and its kernels) if the setup did not.
  await tf.setBackend('wasm');
  registerWasmKernels();
});

afterAll(async () => {
  await tf.setBackend(previous);
});

describe('Slice, SplitV and Concat on wasm', () => {
  it('are the edet kernels', () => {
    for (const name of ['Slice', 'SplitV', 'Concat']) expect(isEdetKernel(name, 'wasm'), name).toBe(true);
  });
});

describe('Slice on wasm matches cpu', () => {
  const cases: [number[], number | number[], number | number[], Dtype?][] = [
    [[10], [3], [4]],
    [[10], 2, -1],
    [[10], [0], [10], 'int32'],
    [[5, 7], [1, 2], [3, 4]],
    [[5, 7], [0, 0], [5, 7]],
    [[5, 7], [2, 0], [2, -1]],
    [[5, 7], [4, 6], [1, 1], 'int32'],
    [[4, 5, 6], [1, 0, 2], [2, 5, 3]],
    [[4, 5, 6], [0, 1, 0], [-1, 3, -1]],
    [[4, 5, 6], [3, 4, 5], [1, 1, 1]],
    [[4, 5, 6], [1], [2], 'int32'],
    [[3, 1, 4, 1, 5], [1, 0, 1, 0, 2], [2, 1, 2, 1, 3]],
    [[2, 3, 4, 5], [1, 1, 1, 1], [1, 2, 3, 4]],
    [[3, 4, 40, 50], [1, 1, 2, 3], [2, 2, 35, 40]],
    [[3, 4, 40, 50], [1, 0, 0, 0], [1, -1, -1, -1], 'int32'],
    [[2, 3, 4, 5, 6], [0, 1, 2, 1, 3], [2, 2, 2, 3, -1]],
    [[2, 3, 4, 5, 6], [1, 0, 0, 0, 0], [1, 3, 4, 5, 6], 'int32'],
    // 0-size slices and a 0-size input.
    [[4, 5], [1, 2], [0, 3]],
    [[4, 5], [1, 5], [3, 0]],
    [[0, 5], [0, 1], [0, 2]],
    // D0: one pyramid level's anchors out of all of them, and one box coordinate.
    [[1, 49104, 90], [0, 36864, 0], [1, 9216, 90]],
    [[49104, 4], [0, 2], [-1, 1]],
  ];
  it.each(cases.map(([shape, begin, size, dtype = 'float32'], i) => [i, shape, begin, size, dtype] as const))(
    'case %i: %j begin %j size %j %s',
    async (i, shape, begin, size, dtype) => {
      const x = values(shape, i, dtype);
      await expectSameAsCpu(`slice ${shape}`, () => tf.slice(tf.tensor(x, shape, dtype), begin, size));
    },
  );
});

describe('SplitV on wasm matches cpu', () => {
  const cases: [number[], number | number[], number, Dtype?][] = [
    [[12], 3, 0],
    [[12], [5, 7], -1, 'int32'],
    [[6, 8], [2, -1, 3], 1],
    [[6, 8], 3, 0],
    [[4, 6, 8], 2, 0],
    [[4, 6, 8], [1, 0, 5], 1],
    [[4, 6, 8], [1, 0, 5], -2, 'int32'],
    [[4, 6, 40], [33, 7], 2],
    [[2, 3, 1, 5], [2, 3], -1],
    [[3, 4, 5, 6, 7], [2, 5], 4, 'int32'],
    [[3, 4, 5, 6, 7], [1, 3, 1], 2],
    [[3, 4, 5, 6, 7], 3, 0],
    [[0, 4], 2, 1],
    // D0: class targets by pyramid level, and boxes into coordinates.
    [[1, 49104, 90], [36864, 9216, 2304, 576, 144], 1],
    [[49104, 4], 4, -1],
  ];
  it.each(cases.map(([shape, splits, axis, dtype = 'float32'], i) => [i, shape, splits, axis, dtype] as const))(
    'case %i: %j into %j along %i %s',
    async (i, shape, splits, axis, dtype) => {
      const x = values(shape, 100 + i, dtype);
      await expectSameAsCpu(`split ${shape}`, () => tf.split(tf.tensor(x, shape, dtype), splits, axis));
    },
  );
});

describe('Concat on wasm matches cpu', () => {
  const cases: [number[][], number, Dtype?][] = [
    [[[3], [5], [1]], 0],
    [[[3], [0], [4]], -1, 'int32'],
    [[[2, 3], [2, 5]], 1],
    [[[2, 3], [4, 3]], 0],
    [[[2, 3], [4, 3], [1, 3]], -2, 'int32'],
    [[[2, 3, 4], [2, 1, 4], [2, 0, 4], [2, 5, 4]], 1],
    [[[2, 3, 40], [2, 3, 1], [2, 3, 33]], 2],
    [[[3, 1, 4, 1, 5], [3, 1, 4, 2, 5]], 3],
    [[[3, 4, 2, 6, 7], [3, 4, 1, 6, 7], [3, 4, 3, 6, 7]], 2, 'int32'],
    [[[3, 4, 2, 6, 7], [1, 4, 2, 6, 7]], 0],
    [[[0, 3], [0, 4]], 1],
    [[[2, 0], [2, 0]], 0],
    // D0: box coordinates back into boxes, and the pyramid levels back into all anchors.
    [[[49104, 1], [49104, 1], [49104, 1], [49104, 1]], 1],
    [[[49104, 1], [49104, 1], [49104, 1], [49104, 1]], -1, 'int32'],
    [[[1, 36864, 90], [1, 9216, 90], [1, 2304, 90], [1, 576, 90], [1, 144, 90]], 1],
  ];
  it.each(cases.map(([shapes, axis, dtype = 'float32'], i) => [i, shapes, axis, dtype] as const))(
    'case %i: %j along %i %s',
    async (i, shapes, axis, dtype) => {
      const xs = shapes.map((shape, j) => values(shape, 200 + 10 * i + j, dtype));
      const build = () => tf.concat(shapes.map((shape, j) => tf.tensor(xs[j], shape, dtype)), axis);
      await expectSameAsCpu(`concat ${JSON.stringify(shapes)}`, build);
    },
  );
});

describe('the cases handed to the backend', () => {
  it('slices, splits and concatenates bool tensors', async () => {
    await expectSameAsCpu('bool', () => {
      const b = tf.tensor2d([true, false, true, true, false, false], [2, 3], 'bool');
      return [tf.slice(b, [0, 1], [2, 2]), ...tf.split(b, [1, 2], 1), tf.concat([b, b], 0)];
    });
  });

  it('concatenates mixed dtypes as tfjs does', async () => {
    await expectSameAsCpu('mixed', () => tf.concat([tf.tensor1d([1.5, 2]), tf.tensor1d([3, 4], 'int32')]));
  });
});

describe('gradients through slice, split and concat on wasm match cpu', () => {
  // Integers, so every sum is exact and the two backends must agree bit for bit.
  const ints = (shape: number[], seed: number) => tf.tensor(Float32Array.from(values(shape, seed, 'int32'), (v) => v % 7), shape);

  it('tf.grads of a function mixing the three', async () => {
    await expectSameAsCpu('grads', () => {
      const f = (a: tf.Tensor, b: tf.Tensor) => {
        const [top, bottom] = tf.split(a, [2, 3], 1);
        const joined = tf.concat([bottom, tf.slice(b, [0, 1, 0], [-1, 2, -1]), top], 1);
        return tf.mul(joined, ints([2, 7, 4], 3));
      };
      return tf.grads(f)([ints([2, 5, 4], 1), ints([2, 4, 4], 2)], ints([2, 7, 4], 4));
    });
  });

  it('tf.grad through the D0 level split and the coordinate split and concat', async () => {
    await expectSameAsCpu('D0 grads', () => {
      const levels = tf.grad((x: tf.Tensor) => tf.concat(tf.split(x, [36864, 9216, 2304, 576, 144], 1).reverse(), 1));
      const boxes = tf.grad((x: tf.Tensor) => {
        const [y0, x0, y1, x1] = tf.split(x, 4, -1);
        return tf.concat([tf.sub(y1, y0), tf.sub(x1, x0), y0, x0], -1);
      });
      return [levels(ints([1, 49104, 90], 5), ints([1, 49104, 90], 6)), boxes(ints([49104, 4], 7), ints([49104, 4], 8))];
    });
  });
});
