/**
 * The wasm `Transpose` replacement against the cpu backend: an image batch to channels last (`[N, 3, H, W]`,
 * perm [0, 2, 3, 1]) bit-exact for float32 (NaN, infinities, -0) and int32, at pixel counts around the
 * 4-pixel SIMD step, batches of 1 and 3, and D0's input; every other transpose (other perms, other channel
 * counts, bool) still right through the backend's own kernel, and empty tensors (which that kernel
 * fails on) given their empty output; split over kernel threads in
 * `kernel-threads.test.ts`; no tensors or heap buffers left behind.
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
  await tf.setBackend('wasm');
  registerWasmKernels();
});

afterAll(async () => {
  await tf.setBackend(previous);
});

describe('Transpose on wasm', () => {
  it('is the edet kernel', () => {
    expect(isEdetKernel('Transpose', 'wasm')).toBe(true);
  });

  const images: [number[], Dtype][] = [
    [[1, 3, 1, 1], 'float32'],
    [[1, 3, 1, 3], 'float32'],
    [[1, 3, 1, 4], 'float32'],
    [[1, 3, 1, 5], 'int32'],
    [[1, 3, 3, 7], 'float32'],
    [[3, 3, 5, 9], 'float32'],
    [[2, 3, 4, 4], 'int32'],
    [[1, 3, 512, 512], 'float32'],
  ];
  it.each(images)('takes images %j (%s) to channels last as cpu does', async (shape, dtype) => {
    const data = values(shape, shape.reduce((a, b) => a + b, 0), dtype);
    await expectSameAsCpu(`${shape}`, () => tf.transpose(tf.tensor(data, shape, dtype), [0, 2, 3, 1]));
  });

  const others: [number[], number[], Dtype | 'bool'][] = [
    [[1, 3, 4, 5], [0, 3, 1, 2], 'float32'],
    [[1, 4, 5, 6], [0, 2, 3, 1], 'float32'],
    [[2, 1, 3, 3], [0, 2, 3, 1], 'int32'],
    [[1, 3, 2, 2], [0, 2, 3, 1], 'bool'],
    [[0, 3, 2, 2], [0, 2, 3, 1], 'float32'],
    [[1, 3, 0, 2], [0, 2, 3, 1], 'float32'],
    [[2, 0, 5], [2, 0, 1], 'int32'],
    [[0, 4], [1, 0], 'bool'],
    [[3, 4], [1, 0], 'float32'],
    [[2, 3, 4, 5, 6], [0, 2, 3, 4, 1], 'int32'],
  ];
  it.each(others)('transposes %j with perm %j (%s) as cpu does', async (shape, perm, dtype) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const build = () =>
      dtype === 'bool'
        ? tf.transpose(tf.tensor(Array.from({ length: size }, (_, i) => i % 3 === 0), shape, 'bool'), perm)
        : tf.transpose(tf.tensor(values(shape, size + 1, dtype), shape, dtype), perm);
    await expectSameAsCpu(`${shape} ${perm}`, build);
  });

  it('gives the transpose its gradient', async () => {
    const x = values([2, 3, 3, 5], 9, 'float32');
    const dy = values([2, 3, 5, 3], 10, 'float32');
    await expectSameAsCpu('gradient', () => tf.grad((t: tf.Tensor) => tf.transpose(t, [0, 2, 3, 1]))(tf.tensor(x, [2, 3, 3, 5]), tf.tensor(dy, [2, 3, 5, 3])));
  });
});
