// Parsing once: the header parsed and kept with the bytes, the metadata read from the header alone.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import {
  SafetensorsError,
  SafetensorsFormatError,
  isParsedSafetensors,
  parseSafetensors,
  readSafetensors,
  readSafetensorsHeader,
  readSafetensorsMetadata,
  writeSafetensorsSync,
} from '../src/index.js';

function sampleFile(metadata?: Record<string, string>): Uint8Array {
  const tensors = { w: tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]), n: tf.tensor1d([7, -8], 'int32') };
  try {
    return writeSafetensorsSync(tensors, metadata === undefined ? {} : { metadata });
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

describe('parseSafetensors', () => {
  it('keeps the validated header, the bytes and the source', () => {
    const bytes = sampleFile({ trained: 'true' });
    const parsed = parseSafetensors(bytes, { source: 'w.safetensors' });
    expect(parsed.bytes).toBe(bytes);
    expect(parsed.source).toBe('w.safetensors');
    expect(parsed.header).toEqual(readSafetensorsHeader(bytes));
    expect(parsed.header.metadata).toEqual({ trained: 'true' });
    expect(isParsedSafetensors(parsed)).toBe(true);
    expect(isParsedSafetensors(bytes)).toBe(false);
    expect(parseSafetensors(bytes).source).toBe('safetensors');
  });

  it('makes no tensors; readSafetensors(parsed) reads the same tensors as readSafetensors(bytes)', async () => {
    const bytes = sampleFile();
    const before = tf.memory().numTensors;
    const parsed = parseSafetensors(bytes);
    expect(tf.memory().numTensors).toBe(before);
    const fromParsed = readSafetensors(parsed);
    const fromBytes = readSafetensors(bytes);
    for (const name of ['w', 'n']) {
      expect(fromParsed.tensors[name].dtype).toBe(fromBytes.tensors[name].dtype);
      expect(await fromParsed.tensors[name].array()).toEqual(await fromBytes.tensors[name].array());
    }
    tf.dispose([...Object.values(fromParsed.tensors), ...Object.values(fromBytes.tensors)]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names the source of a broken file, and reading a parsed file keeps that source', () => {
    const bytes = sampleFile();
    expect(() => parseSafetensors(bytes.subarray(0, bytes.length - 1), { source: 'cut.safetensors' })).toThrow(
      /^cut\.safetensors: file is truncated/,
    );
    const parsed = parseSafetensors(bytes, { source: 'kept.safetensors' });
    // An int32 value that no longer fits (I64 high word set) is found only when decoding.
    const damaged = { ...parsed, bytes: bytes.slice() };
    const entry = parsed.header.entries.find((e) => e.name === 'n');
    damaged.bytes[parsed.header.dataStart + (entry?.dataOffsets[0] ?? 0) + 4] = 1;
    expect(() => readSafetensors(damaged, { source: 'ignored' })).toThrow(/^kept\.safetensors: tensor 'n'/);
  });
});

describe('readSafetensorsMetadata', () => {
  it('reads the metadata of a whole file, {} when it has none', () => {
    expect(readSafetensorsMetadata(sampleFile({ classes: '["a","b"]', trained: 'false' }))).toEqual({ classes: '["a","b"]', trained: 'false' });
    expect(readSafetensorsMetadata(sampleFile())).toEqual({});
  });

  it('needs only the start of the file: the length and the header', () => {
    const bytes = sampleFile({ name: 'm' });
    const { dataStart } = readSafetensorsHeader(bytes);
    expect(readSafetensorsMetadata(bytes.subarray(0, dataStart))).toEqual({ name: 'm' });
    expect(() => readSafetensorsHeader(bytes.subarray(0, dataStart))).toThrow(SafetensorsFormatError);
  });

  it('throws a SafetensorsFormatError naming the source for what is not a safetensors header', () => {
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array(3), /^w\.safetensors: file is truncated: expected at least 8 bytes/],
      [new TextEncoder().encode('not a safetensors file at all'), /^w\.safetensors: header length \d+ is beyond the end of the file/],
    ];
    for (const [bytes, message] of cases) {
      expect(() => readSafetensorsMetadata(bytes, { source: 'w.safetensors' })).toThrow(message);
      expect(() => readSafetensorsMetadata(bytes)).toThrow(SafetensorsError);
    }
  });
});
