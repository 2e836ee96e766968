// Every malformed or truncated file is a SafetensorsFormatError whose message says what is wrong and where.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import {
  SafetensorsFormatError,
  SafetensorsArgumentError,
  readSafetensors,
  readSafetensorsHeader,
  writeSafetensors,
  writeSafetensorsSync,
} from '../src/index.js';
import { buildFile } from './support/build-file.js';

const entry = (dtype: string, shape: unknown, offsets: unknown): string =>
  JSON.stringify({ dtype, shape, data_offsets: offsets });
const oneTensor = (value: string, dataLength: number): Uint8Array =>
  buildFile(`{"w":${value}}`, new Uint8Array(dataLength));
const twoTensors = (first: [number, number], second: [number, number], dataLength: number): Uint8Array =>
  buildFile(
    `{"a":${entry('U8', [first[1] - first[0]], first)},"b":${entry('U8', [second[1] - second[0]], second)}}`,
    new Uint8Array(dataLength),
  );

/** Checks that reading `bytes` throws a SafetensorsFormatError matching `message` and leaks no tensors. */
function expectFormatError(bytes: Uint8Array, message: RegExp | string, source?: string, inHeader = true): void {
  const before = tf.memory().numTensors;
  let caught: unknown;
  try {
    const { tensors } = readSafetensors(bytes, source === undefined ? {} : { source });
    tf.dispose(Object.values(tensors));
  } catch (error) {
    caught = error;
  }
  expect(caught, 'readSafetensors should throw').toBeInstanceOf(SafetensorsFormatError);
  expect((caught as Error).message).toMatch(message);
  // Header problems are found without reading data; value problems (int64 overflow) only when decoding.
  if (inHeader) expect(() => readSafetensorsHeader(bytes)).toThrow(SafetensorsFormatError);
  expect(tf.memory().numTensors).toBe(before);
}

const valid = buildFile(`{"w":${entry('F32', [2, 2], [0, 16])},"__metadata__":{"k":"v"}}`, new Uint8Array(16));

describe('safetensors validation', () => {
  it('accepts the valid base file', () => {
    expect(readSafetensorsHeader(valid).entries).toHaveLength(1);
  });

  it('names the source, or "safetensors" by default', () => {
    expectFormatError(valid.subarray(0, 5), /^model\.safetensors: file is truncated/, 'model.safetensors');
    expectFormatError(valid.subarray(0, 5), /^safetensors: file is truncated/);
  });

  it('rejects a file shorter than 8 bytes', () => {
    expectFormatError(new Uint8Array(0), 'file is truncated: expected at least 8 bytes (the u64 header length), got 0');
    expectFormatError(valid.subarray(0, 7), 'expected at least 8 bytes (the u64 header length), got 7');
  });

  it('rejects a header length beyond the file', () => {
    const { headerLength } = readSafetensorsHeader(valid);
    expectFormatError(
      valid.subarray(0, 20),
      `header length ${headerLength} is beyond the end of the file: ` +
        `expected at least ${8 + headerLength} bytes, got 20`,
    );
    const huge = valid.slice();
    new DataView(huge.buffer).setUint32(4, 1, true);
    expectFormatError(
      huge,
      new RegExp(`header length ${2 ** 32 + headerLength} is beyond the end of the file.*not a safetensors file`),
    );
  });

  it('says a file cut inside the data is truncated, with the expected and actual sizes', () => {
    expectFormatError(
      valid.subarray(0, valid.length - 3),
      `file is truncated: expected ${valid.length} bytes, got ${valid.length - 3}`,
    );
  });

  it('rejects data past the last buffer', () => {
    const longer = new Uint8Array(valid.length + 4);
    longer.set(valid);
    expectFormatError(
      longer,
      `data area has 4 bytes after the last tensor buffer: ` +
        `expected ${valid.length} bytes in all, got ${valid.length + 4}`,
    );
  });

  it('rejects a header that is not UTF-8, not JSON or not an object', () => {
    const notUtf8 = buildFile('{"w":1}');
    notUtf8[10] = 0xff;
    expectFormatError(notUtf8, 'header is not valid UTF-8');
    expectFormatError(buildFile('{"w": {'), /header is not valid JSON \(/);
    expectFormatError(buildFile('[1,2]'), /header is not a JSON object, it starts with "\[1,2\]/);
    expectFormatError(buildFile('null'), /header is not a JSON object/);
    expectFormatError(buildFile(''), /header is not valid JSON/);
  });

  it('rejects a repeated tensor name', () => {
    expectFormatError(
      buildFile(`{"w":${entry('U8', [1], [0, 1])},"w":${entry('U8', [1], [0, 1])}}`, [1]),
      "header lists 'w' more than once",
    );
  });

  it('rejects entries that are not objects', () => {
    expectFormatError(
      oneTensor('[1,2]', 0),
      "tensor 'w': entry must be an object {dtype, shape, data_offsets}, got [1,2]",
    );
  });

  it('rejects unknown, unsupported and missing dtypes', () => {
    expectFormatError(
      oneTensor(entry('F128', [1], [0, 16]), 16),
      /tensor 'w': unknown dtype "F128" \(supported: F64, F32, F16, BF16, I64/,
    );
    expectFormatError(oneTensor(entry('F8_E4M3', [1], [0, 1]), 1), "tensor 'w': dtype F8_E4M3 is not supported");
    expectFormatError(
      oneTensor('{"shape":[1],"data_offsets":[0,4]}', 4),
      "tensor 'w': dtype must be a string, got undefined",
    );
  });

  it.each([['"2"'], ['[2,-1]'], ['[1.5]'], ['["2"]'], ['null'], ['[1e300]']])('rejects shape %s', (shape) => {
    expectFormatError(
      oneTensor(`{"dtype":"F32","shape":${shape},"data_offsets":[0,8]}`, 8),
      `tensor 'w': shape must be an array of non-negative integers, got ${JSON.stringify(JSON.parse(shape))}`,
    );
  });

  const badOffsets = [['[0]'], ['[0,8,9]'], ['[0,"8"]'], ['[0.5,8]'], ['[8,0]'], ['[-8,0]'], ['{"0":0,"1":8}']];
  it.each(badOffsets)('rejects data_offsets %s', (offsets) => {
    expectFormatError(
      oneTensor(`{"dtype":"F32","shape":[2],"data_offsets":${offsets}}`, 8),
      'tensor \'w\': data_offsets must be [begin, end] with integers 0 <= begin <= end, ' +
        `got ${JSON.stringify(JSON.parse(offsets))}`,
    );
  });

  it('rejects a byte length that does not match the shape', () => {
    expectFormatError(
      oneTensor(entry('F32', [2, 3], [0, 20]), 20),
      "tensor 'w': data_offsets [0,20] span 20 bytes, but F32 [2,3] needs 24",
    );
    expectFormatError(oneTensor(entry('I64', [3], [0, 12]), 12), 'but I64 [3] needs 24');
  });

  it('rejects offsets outside the data area', () => {
    expectFormatError(
      oneTensor(entry('F32', [2], [0, 8]), 4),
      /file is truncated: expected \d+ bytes, got \d+ \(tensor 'w' ends at data offset 8, the data area has 4 bytes\)/,
    );
  });

  it('rejects overlapping and gapped buffers', () => {
    expectFormatError(twoTensors([0, 4], [2, 6], 6), "tensor 'b' data_offsets [2,6] overlap tensor 'a' [0,4]");
    expectFormatError(twoTensors([0, 4], [0, 4], 4), "tensor 'b' data_offsets [0,4] overlap tensor 'a' [0,4]");
    expectFormatError(
      twoTensors([0, 4], [6, 8], 8),
      "gap of 2 bytes in the data area before tensor 'b' (data_offsets [6,8]; the buffers before it end at 4)",
    );
    expectFormatError(twoTensors([2, 4], [4, 8], 8), "gap of 2 bytes in the data area before tensor 'a'");
  });

  it('accepts buffers listed out of order when they tile the data area', () => {
    const { tensors } = readSafetensors(twoTensors([4, 6], [0, 4], 6));
    expect(Object.keys(tensors)).toEqual(['a', 'b']);
    tf.dispose(Object.values(tensors));
  });

  it('rejects metadata that is not a map of strings', () => {
    expectFormatError(buildFile('{"__metadata__":["a"]}'), '__metadata__ must be an object of strings, got ["a"]');
    expectFormatError(
      buildFile('{"__metadata__":{"epoch":3}}'),
      "__metadata__ value of 'epoch' must be a string, got 3",
    );
  });

  it('disposes the tensors read before a failing one', () => {
    const file = buildFile(
      `{"ok":${entry('F32', [1], [0, 4])},"big":${entry('I64', [1], [4, 12])}}`,
      [0, 0, 128, 63, 0, 0, 0, 0, 1, 0, 0, 0],
    );
    expectFormatError(file, "tensor 'big': I64 value 4294967296 at index 0 does not fit in int32", undefined, false);
  });
});

describe('safetensors writer validation', () => {
  it('rejects dtypes it cannot store, the reserved name and non-string metadata', async () => {
    const text = tf.tensor(['a']);
    const ok = tf.scalar(1);
    expect(() => writeSafetensorsSync({ text })).toThrow(SafetensorsArgumentError);
    expect(() => writeSafetensorsSync({ text })).toThrow(
      "tensors['text']: expected a float32, int32 or bool tensor, got a string tensor of shape [1]",
    );
    expect(() => writeSafetensorsSync({ __metadata__: ok })).toThrow('reserved __metadata__');
    const metadata = { epoch: 3 } as unknown as Record<string, string>;
    expect(() => writeSafetensorsSync({ ok }, { metadata })).toThrow(
      "options.metadata['epoch']: expected a string, got 3",
    );
    await expect(writeSafetensors({ ok }, { dtype: 'F64' as 'F32' })).rejects.toThrow(
      "options.dtype: expected 'F32', 'F16' or 'BF16', got F64",
    );
    expect(() => writeSafetensorsSync({ ok }, { intDtype: 'U8' as 'I32' })).toThrow(SafetensorsArgumentError);
    tf.dispose([text, ok]);
  });
});
