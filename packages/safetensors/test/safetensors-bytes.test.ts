// Hand-built files: the writer produces exactly these bytes and the reader decodes every dtype from them.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { SafetensorsFormatError, readSafetensors, readSafetensorsHeader, writeSafetensorsSync } from '../src/index.js';
import { buildFile } from './support/build-file.js';

const bytesOf = (array: ArrayBufferView): number[] => [
  ...new Uint8Array(array.buffer, array.byteOffset, array.byteLength),
];

function readOne(dtype: string, shape: number[], data: ArrayBufferView): tf.Tensor {
  const bytes = bytesOf(data);
  const entry = { dtype, shape, data_offsets: [0, bytes.length] };
  const file = buildFile(`{"x":${JSON.stringify(entry)}}`, bytes);
  return readSafetensors(file).tensors.x;
}

describe('safetensors bytes', () => {
  // 107 bytes of JSON, padded to 112; then F32 [1, -2] and I64 -3, little-endian.
  const header =
    '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' + '"b":{"dtype":"I64","shape":[],"data_offsets":[8,16]}}';
  const expected = new Uint8Array([
    ...[112, 0, 0, 0, 0, 0, 0, 0],
    ...new TextEncoder().encode(header),
    ...[0x20, 0x20, 0x20, 0x20, 0x20],
    ...[0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0],
    ...[0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
  ]);

  it('writes a known file byte for byte', () => {
    const a = tf.tensor1d([1, -2]);
    const b = tf.scalar(-3, 'int32');
    expect(writeSafetensorsSync({ a, b })).toEqual(expected);
    tf.dispose([a, b]);
  });

  it('reads the known file', () => {
    const header = readSafetensorsHeader(expected);
    expect(header).toEqual({
      entries: [
        { name: 'a', dtype: 'F32', shape: [2], dataOffsets: [0, 8] },
        { name: 'b', dtype: 'I64', shape: [], dataOffsets: [8, 16] },
      ],
      metadata: {},
      headerLength: 112,
      dataStart: 120,
    });
    const { tensors, metadata } = readSafetensors(expected);
    expect(metadata).toEqual({});
    expect(tensors.a.dtype).toBe('float32');
    expect([...tensors.a.dataSync()]).toEqual([1, -2]);
    expect(tensors.b.dtype).toBe('int32');
    expect(tensors.b.shape).toEqual([]);
    expect([...tensors.b.dataSync()]).toEqual([-3]);
    tf.dispose(Object.values(tensors));
  });

  it('writes metadata first by default and last on request', () => {
    const a = tf.tensor1d([1, -2]);
    const b = tf.scalar(-3, 'int32');
    const text = (bytes: Uint8Array): string =>
      new TextDecoder().decode(bytes.subarray(8, readSafetensorsHeader(bytes).dataStart));
    expect(text(writeSafetensorsSync({ a, b }, { metadata: { k: 'v' } }))).toMatch(
      /^\{"__metadata__":\{"k":"v"\},"a":/,
    );
    expect(text(writeSafetensorsSync({ a, b }, { metadata: { k: 'v' }, metadataPlacement: 'last' }))).toMatch(
      /"__metadata__":\{"k":"v"\}\} *$/,
    );
    tf.dispose([a, b]);
  });

  it('reads a file that starts at an unaligned offset, without aliasing the caller bytes', () => {
    const backing = new Uint8Array(expected.length + 3);
    backing.set(expected, 1);
    const unaligned = backing.subarray(1, 1 + expected.length);
    const { tensors } = readSafetensors(unaligned);
    backing.fill(0); // the tensors must hold copies
    expect([...tensors.a.dataSync()]).toEqual([1, -2]);
    expect([...tensors.b.dataSync()]).toEqual([-3]);
    tf.dispose(Object.values(tensors));
  });

  it('keeps the file order of integer-like and duplicate-looking names in the header entries', () => {
    const file = buildFile(
      '{"z":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"10":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},' +
        '"2":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}}',
      [7, 8, 9],
    );
    expect(readSafetensorsHeader(file).entries.map((entry) => entry.name)).toEqual(['z', '10', '2']);
    // A Map keeps such names in insertion order on the way out, too.
    const { tensors } = readSafetensors(file);
    const ordered = new Map(readSafetensorsHeader(file).entries.map((entry) => [entry.name, tensors[entry.name]]));
    const written = writeSafetensorsSync(ordered, { intDtype: 'I32' });
    expect(readSafetensorsHeader(written).entries.map((entry) => entry.name)).toEqual(['z', '10', '2']);
    tf.dispose(Object.values(tensors));
  });

  it.each([
    ['F64', new Float64Array([1.5, -0.1, 1e300, 2 ** -1074]), [1.5, Math.fround(-0.1), Infinity, 0]],
    ['F16', new Uint16Array([0x3c00, 0x7bff, 0x0001, 0x8000, 0xfc00]), [1, 65504, 2 ** -24, -0, -Infinity]],
    ['BF16', new Uint16Array([0x3f80, 0xc049, 0x0001]), [1, -3.140625, 2 ** -133]],
    ['I32', new Int32Array([-2147483648, 2147483647, 0]), [-2147483648, 2147483647, 0]],
    ['U32', new Uint32Array([0, 2147483647]), [0, 2147483647]],
    ['I16', new Int16Array([-32768, 32767]), [-32768, 32767]],
    ['U16', new Uint16Array([0, 65535]), [0, 65535]],
    ['I8', new Int8Array([-128, 127]), [-128, 127]],
    ['U8', new Uint8Array([0, 255]), [0, 255]],
    ['I64', new BigInt64Array([-2147483648n, 2147483647n, -1n]), [-2147483648, 2147483647, -1]],
    ['U64', new BigUint64Array([0n, 2147483647n]), [0, 2147483647]],
  ])('reads %s', (dtype, data, values) => {
    const tensor = readOne(dtype, [values.length], data);
    expect(tensor.dtype).toBe(dtype.startsWith('F') || dtype === 'BF16' ? 'float32' : 'int32');
    const read = [...tensor.dataSync()];
    values.forEach((value, i) => {
      expect(Object.is(read[i], value), `${dtype}[${i}] = ${read[i]}, want ${value}`).toBe(true);
    });
    tensor.dispose();
  });

  it('reads BOOL as bool', () => {
    const tensor = readOne('BOOL', [2, 2], new Uint8Array([1, 0, 0, 1]));
    expect(tensor.dtype).toBe('bool');
    expect([...tensor.dataSync()]).toEqual([1, 0, 0, 1]);
    tensor.dispose();
  });

  it.each([
    ['I64', new BigInt64Array([0n, 2147483648n]), /tensor 'x': I64 value 2147483648 at index 1 does not fit in int32/],
    ['I64', new BigInt64Array([-2147483649n]), /I64 value -2147483649 at index 0/],
    ['U64', new BigUint64Array([2n ** 64n - 1n]), /U64 value 18446744073709551615 at index 0/],
    ['U32', new Uint32Array([2147483648]), /U32 value 2147483648 at index 0/],
    ['BOOL', new Uint8Array([0, 2]), /BOOL byte 2 at index 1 is neither 0 nor 1/],
  ])('rejects %s values tfjs cannot hold', (dtype, data, message) => {
    const before = tf.memory().numTensors;
    expect(() => readOne(dtype, [data.length], data)).toThrow(SafetensorsFormatError);
    expect(() => readOne(dtype, [data.length], data)).toThrow(message);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reads empty tensors and scalars', () => {
    const file = buildFile(
      '{"empty":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]},' +
        '"scalar":{"dtype":"F16","shape":[],"data_offsets":[0,2]}}',
      [0x00, 0x3c],
    );
    const { tensors } = readSafetensors(file);
    expect(tensors.empty.shape).toEqual([0, 3]);
    expect(tensors.empty.size).toBe(0);
    expect([...tensors.scalar.dataSync()]).toEqual([1]);
    tf.dispose(Object.values(tensors));
  });
});
