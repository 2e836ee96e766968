/**
 * `readInto`: the values `tensor.data()` gives, copied into the caller's array, straight out of the heap
 * on the wasm backend (no `data()` call) and through `data()` on cpu; bad targets and tensors refused with
 * the target untouched; no tensor made or lost.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { InvalidArgumentError, readInto } from '@edet/tensor';

const startBackend = tf.getBackend();

afterEach(async () => {
  await tf.setBackend(startBackend);
});

/** Seeded values with the special ones in place: NaN, infinities, -0, a denormal. */
function values(count: number): Float32Array {
  const out = new Float32Array(count);
  let state = 12345;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = (state / 2 ** 32 - 0.5) * 100;
  }
  [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 1e-40].forEach((value, i) => (out[(i * 7) % count] = value));
  return out;
}

/** The bits of a float array, so that NaN and -0 compare exactly. */
const bits = (array: Float32Array) => new Uint32Array(array.buffer.slice(array.byteOffset, array.byteOffset + array.byteLength));

describe.each(['wasm', 'cpu'])('readInto on %s', (backend) => {
  it('copies a float32 tensor, an int32 tensor, a reshaped view and an empty tensor', async () => {
    await tf.setBackend(backend);
    const before = tf.memory().numTensors;
    const source = values(1003);
    const x = tf.tensor3d(source, [17, 59, 1]);
    const doubled = tf.mul(x, 2); // written by a kernel, not by tensor()
    const flat = tf.reshape(doubled, [1003]);
    const ints = tf.tensor2d(Array.from({ length: 12 }, (_, i) => (i - 6) * 1_000_003), [3, 4], 'int32');
    const empty = tf.zeros([2, 0, 3]);

    const got = new Float32Array(1003).fill(7);
    await readInto(x, got);
    expect(bits(got)).toEqual(bits(source));
    await readInto(flat, got);
    expect(bits(got)).toEqual(bits(flat.dataSync() as Float32Array));
    const gotInts = new Int32Array(12);
    await readInto(ints, gotInts);
    expect(Array.from(gotInts)).toEqual(Array.from(ints.dataSync()));
    await readInto(empty, new Float32Array(0));

    tf.dispose([x, doubled, flat, ints, empty]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it(`reads ${backend === 'wasm' ? 'from the heap, without' : 'through'} tensor.data()`, async () => {
    await tf.setBackend(backend);
    const x = tf.add(tf.tensor1d(values(64)), 1);
    const data = vi.spyOn(x, 'data');
    const got = new Float32Array(64);
    await readInto(x, got);
    expect(data).toHaveBeenCalledTimes(backend === 'wasm' ? 0 : 1);
    expect(bits(got)).toEqual(bits(x.dataSync() as Float32Array));
    x.dispose();
  });

  it('refuses a target of another type or length, and a bool or disposed tensor, writing nothing', async () => {
    await tf.setBackend(backend);
    const x = tf.ones([2, 3]);
    const flags = tf.tensor1d([true, false], 'bool');
    const target = new Float32Array(6).fill(5);
    await expect(readInto(x, new Float32Array(5))).rejects.toThrow(/target: expected a Float32Array of 6 elements \(tensor \[2,3\]\), got Float32Array of 5/);
    await expect(readInto(x, new Int32Array(6))).rejects.toThrow(InvalidArgumentError);
    await expect(readInto(flags, new Float32Array(2))).rejects.toThrow(/tensor: expected a float32 or int32 tensor, got bool \[2\]/);
    x.dispose();
    await expect(readInto(x, target)).rejects.toThrow(/a disposed tensor/);
    expect(Array.from(target)).toEqual([5, 5, 5, 5, 5, 5]);
    flags.dispose();
  });
});
