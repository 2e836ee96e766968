// Hostile and careless inputs: deep nesting, absurd lengths, wrong argument types, and a seeded fuzz of
// mutated headers. Every case is either read or refused with a SafetensorsError, never another error.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import {
  SAFETENSORS_MAX_HEADER_DEPTH,
  SAFETENSORS_MAX_HEADER_LENGTH,
  SafetensorsArgumentError,
  SafetensorsError,
  SafetensorsFormatError,
  parseSafetensors,
  readSafetensors,
  readSafetensorsHeader,
  readSafetensorsMetadata,
  writeSafetensors,
  writeSafetensorsSync,
} from '../src/index.js';
import { buildFile } from './support/build-file.js';

const validHeader =
  '{"__metadata__":{"classes":"[\\"a\\",\\"b\\"]","format":"pt"},' +
  '"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},' +
  '"b":{"dtype":"I64","shape":[2],"data_offsets":[16,32]},' +
  '"m":{"dtype":"BOOL","shape":[],"data_offsets":[32,33]}}';
const validData = new Uint8Array(33);

/** Reads `bytes` every way there is; returns the error or undefined, and checks that no tensor is left over. */
function readEveryWay(bytes: Uint8Array): unknown {
  const before = tf.memory().numTensors;
  try {
    readSafetensorsMetadata(bytes);
    const parsed = parseSafetensors(bytes);
    tf.dispose(Object.values(readSafetensors(parsed).tensors));
    return undefined;
  } catch (error) {
    return error;
  } finally {
    expect(tf.memory().numTensors).toBe(before);
  }
}

function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** mulberry32: the same cases on every run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('hostile safetensors headers', () => {
  it('refuses a header nested 100k deep with a SafetensorsFormatError, not a stack overflow', () => {
    const deep = 100_000;
    for (const header of [
      `{"__metadata__":{"classes":${'['.repeat(deep)}${']'.repeat(deep)}}}`,
      `{"w":${'{"a":'.repeat(deep)}1${'}'.repeat(deep)}}`,
      `{"w":{"dtype":"F32","shape":${'['.repeat(deep)}${']'.repeat(deep)},"data_offsets":[0,0]}}`,
    ]) {
      const error = readEveryWay(buildFile(header));
      expect(error).toBeInstanceOf(SafetensorsFormatError);
      expect((error as Error).message).toContain(`more than ${SAFETENSORS_MAX_HEADER_DEPTH} levels deep`);
    }
  });

  it('reads extra nesting up to the limit, so extra fields a writer adds are tolerated', () => {
    const nested = '['.repeat(SAFETENSORS_MAX_HEADER_DEPTH - 2) + ']'.repeat(SAFETENSORS_MAX_HEADER_DEPTH - 2);
    const header = `{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"extra":${nested}}}`;
    expect(readEveryWay(buildFile(header, [7]))).toBeUndefined();
  });

  it('refuses metadata that is not a flat string-to-string map, naming the key, with a short message', () => {
    for (const [metadata, message] of [
      ['{"classes":5}', "__metadata__ value of 'classes' must be a string, got 5"],
      ['{"classes":["a","b"]}', "__metadata__ value of 'classes' must be a string, got [\"a\",\"b\"]"],
      ['{"layout":{"a":"b"}}', "__metadata__ value of 'layout' must be a string"],
      ['{"trained":null}', "__metadata__ value of 'trained' must be a string, got null"],
      ['"flat"', '__metadata__ must be an object of strings, got "flat"'],
      [`{"classes":[${'1,'.repeat(10_000)}1]}`, '... (20003 characters)'],
    ]) {
      const error = readEveryWay(buildFile(`{"__metadata__":${metadata}}`));
      expect(error).toBeInstanceOf(SafetensorsFormatError);
      expect((error as Error).message).toContain(message);
      expect((error as Error).message.length).toBeLessThan(200);
    }
  });

  it('refuses a header length over the stated limit before reading it', () => {
    // A file big enough to hold the header (zero-filled: allocating it costs little).
    const file = new Uint8Array(SAFETENSORS_MAX_HEADER_LENGTH + 16);
    new DataView(file.buffer).setUint32(0, SAFETENSORS_MAX_HEADER_LENGTH + 1, true);
    const error = readEveryWay(file);
    expect(error).toBeInstanceOf(SafetensorsFormatError);
    expect((error as Error).message).toMatch(/header length 100000001 is over the limit of 100000000 bytes/);
    // Past the end of a small file (a 2^64-1 length included), the file is called truncated.
    const small = new Uint8Array(16);
    new DataView(small.buffer).setUint32(0, 0xffffffff, true);
    new DataView(small.buffer).setUint32(4, 0xffffffff, true);
    expect((readEveryWay(small) as Error).message).toMatch(/is beyond the end of the file/);
  });

  it('refuses shapes whose byte size overflows and offsets outside the data', () => {
    for (const [entry, message] of [
      ['{"dtype":"F64","shape":[9007199254740991,9007199254740991],"data_offsets":[0,8]}', 'is too large'],
      ['{"dtype":"F32","shape":[1e300],"data_offsets":[0,4]}', 'shape must be an array of non-negative integers'],
      ['{"dtype":"F32","shape":[1],"data_offsets":[0,9007199254740993]}', 'data_offsets must be [begin, end]'],
      ['{"dtype":"F32","shape":[1],"data_offsets":[4,8]}', 'gap of 4 bytes'],
      ['{"dtype":"F32","shape":[2],"data_offsets":[0,8]}', 'file is truncated'],
    ]) {
      const error = readEveryWay(buildFile(`{"w":${entry}}`, new Uint8Array(4)));
      expect(error, entry).toBeInstanceOf(SafetensorsFormatError);
      expect((error as Error).message).toContain(message);
    }
  });

  it('either reads or refuses with a SafetensorsError every one of 300 mutated headers (seeded)', () => {
    const random = seededRandom(13);
    const text = new TextEncoder().encode(validHeader);
    const pieces = ['{', '}', '[', ']', '"', ',', ':', '-1', '1e400', 'null', '\\u0000', '__metadata__', '0', '\uFFFF', '"F16"'];
    let refused = 0;
    for (let round = 0; round < 300; round++) {
      let header: Uint8Array;
      const kind = round % 4;
      if (kind === 0) {
        // Flip one to three bytes.
        header = text.slice();
        for (let flips = 1 + Math.floor(random() * 3); flips > 0; flips--) {
          header[Math.floor(random() * header.length)] = Math.floor(random() * 256);
        }
      } else if (kind === 1) {
        // Splice a JSON-ish piece in.
        const piece = new TextEncoder().encode(pieces[Math.floor(random() * pieces.length)]);
        const at = Math.floor(random() * text.length);
        const cut = Math.floor(random() * 3);
        header = new Uint8Array([...text.subarray(0, at), ...piece, ...text.subarray(at + cut)]);
      } else if (kind === 2) {
        // Truncate the header.
        header = text.subarray(0, Math.floor(random() * text.length));
      } else {
        // Change a number.
        const source = new TextDecoder().decode(text);
        const numbers = [...source.matchAll(/\d+/g)];
        const target = numbers[Math.floor(random() * numbers.length)];
        const replacement = String(Math.floor(random() * 40) - 4);
        header = new TextEncoder().encode(
          source.slice(0, target.index) + replacement + source.slice((target.index ?? 0) + target[0].length),
        );
      }
      const file = new Uint8Array(8 + header.length + validData.length);
      new DataView(file.buffer).setUint32(0, header.length, true);
      file.set(header, 8);
      // Sometimes lie about the header length too.
      if (round % 7 === 0) new DataView(file.buffer).setUint32(0, Math.floor(random() * file.length * 2), true);
      const error = readEveryWay(file);
      if (error !== undefined) {
        refused++;
        expect(error, `round ${round}: ${String(error)}`).toBeInstanceOf(SafetensorsError);
      }
    }
    expect(refused).toBeGreaterThan(150); // most mutations break the file; some (a renamed key) do not
  });
});

describe('wrong arguments to the readers and writers', () => {
  const notBytes: [unknown, string][] = [
    [null, 'null'],
    [undefined, 'undefined'],
    ['weights.safetensors', '"weights.safetensors"'],
    [42, '42'],
    [new ArrayBuffer(16), 'an ArrayBuffer of 16 bytes'],
    [new Float32Array(4), 'a Float32Array of 16 bytes'],
    [new Uint8ClampedArray(4), 'a Uint8ClampedArray of 4 bytes'],
    [[1, 2, 3], '[1,2,3]'],
  ];

  it('names the argument and what is accepted for every reader', () => {
    for (const [value, received] of notBytes) {
      for (const read of [readSafetensorsHeader, readSafetensorsMetadata, parseSafetensors]) {
        const error = thrownBy(() => read(value as Uint8Array));
        expect(error, `${read.name}(${received})`).toBeInstanceOf(SafetensorsArgumentError);
        expect((error as SafetensorsArgumentError).argument).toBe('bytes');
        expect((error as Error).message).toMatch(/^bytes: expected a Uint8Array of the whole file/);
        expect((error as Error).message.endsWith(`got ${received}`)).toBe(true);
      }
      const before = tf.memory().numTensors;
      expect(() => readSafetensors(value as Uint8Array)).toThrow(/^file: expected a Uint8Array of the whole file .*or a parseSafetensors result/);
      expect(tf.memory().numTensors).toBe(before);
    }
    expect(() => readSafetensors(new ArrayBuffer(8) as unknown as Uint8Array)).toThrow(/wrap an ArrayBuffer as new Uint8Array\(buffer\)/);
    expect(() => readSafetensors({ bytes: 1 } as unknown as Uint8Array)).toThrow(
      'file: expected a Uint8Array of the whole file or a parseSafetensors result { bytes, header, source }, got an object with keys ["bytes"]',
    );
  });

  it('accepts a Node Buffer and a Uint8Array at an offset', () => {
    const file = buildFile(validHeader, validData);
    const padded = new Uint8Array(file.length + 3);
    padded.set(file, 3);
    expect(readSafetensorsHeader(padded.subarray(3)).entries).toHaveLength(3);
    if (typeof Buffer !== 'undefined') expect(readSafetensorsHeader(Buffer.from(file)).entries).toHaveLength(3);
  });

  it('checks the options', () => {
    const file = buildFile(validHeader, validData);
    expect(() => readSafetensorsHeader(file, { source: 5 as unknown as string })).toThrow('options.source: expected a string naming the file, got 5');
    expect(() => readSafetensors(file, null as unknown as object)).toThrow(/^options: expected an object/);
    expect(() => writeSafetensorsSync({}, { metadata: 'x' as unknown as Record<string, string> })).toThrow(
      'options.metadata: expected an object of strings, got "x"',
    );
  });

  it('names the argument of the writers', async () => {
    expect(() => writeSafetensorsSync(null as unknown as Record<string, tf.Tensor>)).toThrow(
      'tensors: expected an object or a Map of tensors by name, got null',
    );
    await expect(writeSafetensors([tf.scalar(1)] as unknown as Record<string, tf.Tensor>)).rejects.toThrow(SafetensorsArgumentError);
    expect(() => writeSafetensorsSync({ w: { dtype: 'float32', shape: [1] } as unknown as tf.Tensor })).toThrow(
      `tensors['w']: expected a float32, int32 or bool tensor, got {"dtype":"float32","shape":[1]}`,
    );
    const disposed = tf.tensor1d([1, 2]);
    disposed.dispose();
    expect(() => writeSafetensorsSync({ w: disposed })).toThrow("tensors['w']: expected a live tensor, got a disposed tensor of shape [2]");
    tf.disposeVariables();
  });
});

describe('finiteOnly', () => {
  const floats = (values: number[]): Uint8Array => new Uint8Array(new Float32Array(values).buffer);

  it('refuses NaN and infinite floats of every float dtype, naming the count and the first tensor, leaking nothing', () => {
    const data = new Uint8Array([...floats([1, NaN, 3, Infinity]), ...floats([-Infinity, 2]), 0x00, 0x7c, 0x80, 0x7f]);
    const file = buildFile(
      '{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[2],"data_offsets":[16,24]},' +
        '"h":{"dtype":"F16","shape":[1],"data_offsets":[24,26]},"bf":{"dtype":"BF16","shape":[1],"data_offsets":[26,28]}}',
      data,
    );
    const before = tf.memory().numTensors;
    expect(() => readSafetensors(file, { finiteOnly: true, source: 'w.safetensors' })).toThrow(
      new SafetensorsFormatError(
        'w.safetensors',
        "5 values in 4 tensors are NaN or infinite, the first in tensor 'a' at index 1 (NaN): the values must be finite",
      ),
    );
    expect(tf.memory().numTensors).toBe(before);
    const one = buildFile('{"x":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}}', new Uint8Array(new Float64Array([0, 1e300]).buffer));
    expect(() => readSafetensors(one, { finiteOnly: true })).toThrow("1 value is NaN or infinite: tensor 'x' at index 1 (Infinity)");
    // Without the option the values are read as they are.
    const { tensors } = readSafetensors(file);
    expect(Array.from(tensors.a.dataSync())).toEqual([1, NaN, 3, Infinity]);
    tf.dispose(Object.values(tensors));
    expect(() => readSafetensors(file, { finiteOnly: 'yes' as unknown as boolean })).toThrow('options.finiteOnly: expected true or false, got "yes"');
    expect(tf.memory().numTensors).toBe(before);
  });
});
