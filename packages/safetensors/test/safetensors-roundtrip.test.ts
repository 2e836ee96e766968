// Write then read gives back every value exactly (or its correctly rounded F16/BF16 value), leaking no tensors.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { readSafetensors, readSafetensorsHeader, writeSafetensors, writeSafetensorsSync } from '../src/index.js';

const bitsOf = (values: ArrayLike<number>): number[] => [...new Uint32Array(new Float32Array(values).buffer)];

// [float32 value, what it becomes in binary16]: every F16 rounding path.
const f16Cases: [number, number][] = [
  [0, 0],
  [-0, -0],
  [1, 1],
  [-2, -2],
  [65504, 65504], // largest finite
  [65519, 65504],
  [65520, Infinity], // tie between 65504 and 2^16: even is 2^16, i.e. infinity
  [1e9, Infinity],
  [2 ** -24, 2 ** -24], // smallest subnormal
  [2 ** -25, 0], // tie: even is 0
  [3 * 2 ** -25, 2 ** -23], // tie: even is 2 * 2^-24
  [1023.5 * 2 ** -24, 2 ** -14], // tie between the largest subnormal and the smallest normal
  [1 + 2 ** -11, 1],
  [1 + 3 * 2 ** -11, 1 + 2 ** -9],
  [2049, 2048],
  [Infinity, Infinity],
  [-Infinity, -Infinity],
  [NaN, NaN],
  [0.1, 0.0999755859375],
  [1e-45, 0], // float32 subnormal
];
const edgeValues = f16Cases.map(([value]) => value);

describe('safetensors round trip', () => {
  it('F32 keeps every bit, including -0, NaN, infinities and subnormals', async () => {
    const values = [...edgeValues, 1e-40, -3.4028234663852886e38];
    const x = tf.tensor2d(values, [2, values.length / 2]);
    const before = tf.memory().numTensors;
    const bytes = await writeSafetensors({ x });
    expect(tf.memory().numTensors).toBe(before);
    const { tensors } = readSafetensors(bytes);
    expect(tensors.x.shape).toEqual([2, values.length / 2]);
    expect(bitsOf(tensors.x.dataSync())).toEqual(bitsOf(values));
    tf.dispose([x, tensors.x]);
    expect(tf.memory().numTensors).toBe(before - 1);
  });

  it('F16 rounds to nearest even and reads back exactly', () => {
    const x = tf.tensor1d(edgeValues);
    const bytes = writeSafetensorsSync({ x }, { dtype: 'F16' });
    const [entry] = readSafetensorsHeader(bytes).entries;
    expect(entry).toMatchObject({ dtype: 'F16', dataOffsets: [0, 2 * edgeValues.length] });
    const { tensors } = readSafetensors(bytes);
    const read = tensors.x.dataSync();
    f16Cases.forEach(([value, rounded], i) => {
      expect(Object.is(read[i], rounded), `${value} -> ${read[i]}, want ${rounded}`).toBe(true);
    });
    tf.dispose([x, tensors.x]);
  });

  it('BF16 rounds to nearest even and reads back exactly', () => {
    const values = [1, -0, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 3.4028234663852886e38, Infinity, NaN, 2 ** -130];
    const expected = [1, -0, 1, 1 + 2 ** -6, Infinity, Infinity, NaN, 2 ** -130];
    const x = tf.tensor1d(values);
    const { tensors } = readSafetensors(writeSafetensorsSync({ x }, { dtype: 'BF16' }));
    const read = tensors.x.dataSync();
    expected.forEach((value, i) => expect(Object.is(read[i], value), `${values[i]} -> ${read[i]}`).toBe(true));
    tf.dispose([x, tensors.x]);
  });

  it.each([['I64' as const], ['I32' as const]])('int32 as %s keeps every value', (intDtype) => {
    const values = [-2147483648, 2147483647, -1, 0, 1, 123456789];
    const x = tf.tensor2d(values, [3, 2], 'int32');
    const bytes = writeSafetensorsSync({ x }, { intDtype });
    expect(readSafetensorsHeader(bytes).entries[0]).toMatchObject({ dtype: intDtype, shape: [3, 2] });
    const { tensors } = readSafetensors(bytes);
    expect(tensors.x.dtype).toBe('int32');
    expect([...tensors.x.dataSync()]).toEqual(values);
    tf.dispose([x, tensors.x]);
  });

  it('bool as BOOL', () => {
    const x = tf.tensor1d([true, false, true], 'bool');
    const { tensors } = readSafetensors(writeSafetensorsSync({ x }));
    expect(tensors.x.dtype).toBe('bool');
    expect([...tensors.x.dataSync()]).toEqual([1, 0, 1]);
    tf.dispose([x, tensors.x]);
  });

  it('keeps names in insertion order, metadata, empty tensors and scalars; sync and async agree', async () => {
    const input = {
      'layer.0.weight': tf.randomNormal([3, 4, 5]),
      'weird "name" \u00e9\u4e2d': tf.scalar(7),
      empty: tf.zeros([0, 2]),
      steps: tf.tensor1d([5, -5], 'int32'),
      mask: tf.tensor1d([false, true], 'bool'),
    };
    const metadata = { format: 'pt', note: 'caf\u00e9 "quoted"' };
    const before = tf.memory().numTensors;
    const sync = writeSafetensorsSync(input, { metadata });
    const async = await writeSafetensors(input, { metadata });
    expect(async).toEqual(sync);
    expect(tf.memory().numTensors).toBe(before);
    // The data area starts 8-byte aligned because the header is padded with spaces.
    const header = readSafetensorsHeader(sync);
    expect(header.headerLength % 8).toBe(0);
    expect(new TextDecoder().decode(sync.subarray(8, header.dataStart))).toMatch(/} *$/);

    const { tensors, metadata: readMetadata } = readSafetensors(sync);
    expect(Object.keys(tensors)).toEqual(Object.keys(input));
    expect(readMetadata).toEqual(metadata);
    for (const [name, tensor] of Object.entries(input)) {
      expect(tensors[name].shape, name).toEqual(tensor.shape);
      expect(tensors[name].dtype, name).toBe(tensor.dtype);
      expect([...tensors[name].dataSync()], name).toEqual([...tensor.dataSync()]);
    }
    tf.dispose(Object.values(tensors));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(input));
  });

  it('writes an empty file when given no tensors', () => {
    const bytes = writeSafetensorsSync({});
    expect([...bytes]).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7d, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20]);
    expect(readSafetensors(bytes)).toEqual({ tensors: {}, metadata: {} });
  });
});
