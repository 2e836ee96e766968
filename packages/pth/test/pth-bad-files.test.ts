// Bad files: each gets a PthError (never another error, never a hang, never a huge allocation).
import { describe, expect, it } from 'vitest';
import { zipSync } from 'fflate';

import { MAX_PICKLE_NESTING, PthArgumentError, PthError, encodeSafetensors, readPth } from '../src/index.js';
import { bytesOf, float32Bytes, legacyPth, op, pickle, stateDictPickle, tensorPickle, zipPth } from './support/pickle-builder.js';

const weight = { name: 'conv.weight', key: '0', numel: 6, shape: [2, 3] };
const goodPickle = pickle(stateDictPickle([weight]));
const goodZip = zipPth(goodPickle, { '0': float32Bytes([1, 2, 3, 4, 5, 6]) });
const goodLegacy = legacyPth(goodPickle, [{ key: '0', elementSize: 4, data: float32Bytes([1, 2, 3, 4, 5, 6]) }]);

function expectPthError(bytes: Uint8Array, message: RegExp): void {
  expect(() => readPth(bytes, { source: 'bad.pth' })).toThrow(PthError);
  expect(() => readPth(bytes, { source: 'bad.pth' })).toThrow(message);
}

describe('readPth on bad files', () => {
  it('reads the good small files these cases start from', () => {
    for (const bytes of [goodZip, goodLegacy]) {
      expect(new Float32Array(readPth(bytes).tensors['conv.weight'].data.buffer)).toEqual(Float32Array.from([1, 2, 3, 4, 5, 6]));
    }
  });

  it('says a file is not a checkpoint: empty, random bytes, a safetensors file, text, a zip of something else', () => {
    let seed = 7;
    const random = Uint8Array.from({ length: 256 }, () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) & 0xff);
    expectPthError(new Uint8Array(0), /bad\.pth: not a PyTorch checkpoint: the file is empty/);
    expectPthError(random, /not a PyTorch checkpoint/);
    expectPthError(encodeSafetensors({ w: { dtype: 'F32', shape: [1], data: float32Bytes([1]) } }), /looks like a safetensors file/);
    expectPthError(bytesOf('hello world\n'), /not a PyTorch checkpoint/);
    expectPthError(zipSync({ 'readme.txt': bytesOf('hi') }), /data\.pkl' missing/);
  });

  it('refuses every truncation of a small zip and a small legacy file, at every offset', () => {
    let cases = 0;
    for (const file of [goodZip, goodLegacy]) {
      for (let length = 0; length < file.length; length++) {
        expect(() => readPth(file.subarray(0, length)), `cut to ${length}`).toThrow(PthError);
        cases++;
      }
    }
    expect(cases).toBe(goodZip.length + goodLegacy.length);
  });

  it('refuses a storage shorter than its tensors, and a view reaching past its storage', () => {
    expectPthError(zipPth(goodPickle, { '0': float32Bytes([1, 2, 3]) }), /shorter than the 24 its tensors declare/);
    const pastEnd = pickle(stateDictPickle([{ ...weight, offset: 2 }]));
    expectPthError(zipPth(pastEnd, { '0': float32Bytes([1, 2, 3, 4, 5, 6]) }), /reaches element 7 of a storage of 6 elements/);
    expectPthError(
      legacyPth(goodPickle, [{ key: '0', elementSize: 4, data: float32Bytes([1, 2, 3]) }]),
      /shorter than the 24 its tensors declare/,
    );
  });

  it('names a missing zip entry', () => {
    expectPthError(zipPth(goodPickle, {}), /zip entry 'archive\/data\/0' missing/);
  });

  it('refuses absurd sizes before allocating: a string, an element count, a legacy storage count, an expanded view', () => {
    expectPthError(zipPth(pickle(bytesOf(0x58, Uint8Array.of(0xff, 0xff, 0xff, 0x7f), 'abc')), {}), /truncated pickle: a string needs 2147483647 bytes/);
    expectPthError(zipPth(pickle(stateDictPickle([{ ...weight, numel: 2 ** 31 - 1 }])), { '0': float32Bytes([1]) }), /declares 2147483647 elements/);
    expectPthError(
      legacyPth(goodPickle, [{ key: '0', elementSize: 4, data: float32Bytes([1, 2, 3, 4, 5, 6]), count: 2 ** 50 }]),
      /holds 1125899906842624 elements/,
    );
    const expanded = pickle(stateDictPickle([{ ...weight, shape: [65536, 65536], stride: [0, 0] }]));
    expectPthError(zipPth(expanded, { '0': float32Bytes([1, 2, 3, 4, 5, 6]) }), /4294967296 elements are more than the file can account for/);
  });

  it('refuses an unknown opcode and text-protocol opcodes it does not read', () => {
    expectPthError(zipPth(pickle(bytesOf(0xff)), {}), /unknown or unsupported pickle opcode 0xff at offset 2/);
    expectPthError(zipPth(pickle(bytesOf('p0\n')), {}), /opcode 0x70/);
  });

  it('refuses nesting too deep, by MARKs and by containers, without recursion', () => {
    const marks = new Uint8Array(MAX_PICKLE_NESTING + 1).fill(0x28);
    expectPthError(zipPth(pickle(marks), {}), /nests deeper than 1000 levels/);
    // 5000 lists each appended to the one before: a deep tree with a tensor at the bottom.
    const depth = 5000;
    const lists = new Uint8Array(depth).fill(0x5d);
    const appends = new Uint8Array(depth - 1).fill(0x61);
    const deep = pickle(bytesOf(lists, tensorPickle(weight), op.append, appends));
    expectPthError(zipPth(deep, { '0': float32Bytes([1, 2, 3, 4, 5, 6]) }), /nests deeper than 100 levels/);
  });

  it('refuses malformed pickles: an empty stack, a memo read before a write, a missing MARK, a bad persistent id', () => {
    expectPthError(zipPth(pickle(bytesOf(op.reduce)), {}), /REDUCE on an empty stack/);
    expectPthError(zipPth(pickle(op.get(3)), {}), /memo entry 3 read before it was stored/);
    expectPthError(zipPth(pickle(bytesOf(op.none, op.tuple)), {}), /TUPLE without a MARK/);
    expectPthError(zipPth(pickle(bytesOf(op.str('x'), op.persistentId)), {}), /persistent id is a string/);
    const badType = pickle(stateDictPickle([{ ...weight, storageType: 'EvilStorage' }]));
    expectPthError(zipPth(badType, { '0': float32Bytes([1, 2, 3, 4, 5, 6]) }), /storage type torch\.EvilStorage/);
  });

  it('says when no tensors are found, and when ema is asked of a bare state dict', () => {
    expectPthError(zipPth(pickle(op.emptyDict), {}), /holds no tensors/);
    expect(() => readPth(goodZip, { ema: 'yes' as unknown as boolean })).toThrow(PthArgumentError);
    expect(() => readPth(goodZip, { ema: true })).toThrow(/the ema option asks for the EMA weights, but the checkpoint has no state_dict_ema/);
  });
});

describe('readPth on damaged bytes (seeded fuzz)', () => {
  it('either reads or throws PthError for 400 small files with random bytes changed', () => {
    let seed = 20261204;
    const next = (): number => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0);
    let thrown = 0;
    for (let trial = 0; trial < 400; trial++) {
      const file = (trial % 2 === 0 ? goodLegacy : goodZip).slice();
      for (let flips = 1 + (next() % 3); flips > 0; flips--) file[next() % file.length] = next() & 0xff;
      try {
        readPth(file);
      } catch (error) {
        if (!(error instanceof PthError)) throw new Error(`trial ${trial}: ${String(error)}`);
        thrown++;
      }
    }
    expect(thrown).toBeGreaterThan(100);
  });
});
