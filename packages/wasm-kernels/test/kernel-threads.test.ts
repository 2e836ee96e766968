/**
 * The kernel thread pool on a shared memory: split runs give the bytes of one whole call whatever the
 * chunking, pool threads take part, a chunk that traps is reported after the others finish and leaves the
 * pool usable, and bad jobs are refused. Runs Node worker threads, so not in browser mode.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { WasmKernelError } from '../src/errors.js';
import { nodeThreadSpawner } from '../src/node/index.js';
import { KernelThreadPool, elementwiseSplit } from '../src/threads/kernel-threads.js';
import { simdKernels } from '../src/wasm/simd-module.js';

const PAGE = 65536;
// 8 M floats: two arrays of up to 4 M (the largest case needs several ms of work, long enough for the pool
// threads to wake up and claim chunks).
const memory = new WebAssembly.Memory({ initial: 520, maximum: 1024, shared: true });
const X = PAGE;
const Y_WHOLE = X + 4 * 1024 * 1024 * 4;
const floats = () => new Float32Array(memory.buffer);
let pool: KernelThreadPool;

/** Seeded values spanning swish's range, with the special values at fixed places. */
function fill(count: number, seed: number): void {
  const view = floats().subarray(X / 4, X / 4 + count);
  let state = seed;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    view[i] = ((state / 2 ** 32) * 2 - 1) * (i % 7 === 0 ? 120 : 12);
  }
  const specials = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0, 1e-40, -90, 90];
  specials.slice(0, count).forEach((value, i) => (view[(i * 9973) % count] = value));
}

/** Bytes of `count` floats at byte offset `at`. */
function bytes(at: number, count: number): Uint8Array {
  return new Uint8Array(memory.buffer).slice(at, at + count * 4);
}

/**
 * The first byte where `a` and `b` (float32 data) differ, -1 where they are equal (`toEqual` on large arrays
 * is slow). Two NaNs are equal whatever their bits: WebAssembly leaves the sign and payload of a NaN that
 * arithmetic makes to the engine, and V8's baseline and optimising tiers (which a pool thread and the calling
 * thread may be running at the same moment) order the operands of a commutative op differently.
 */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  const [x, y] = [new DataView(a.buffer, a.byteOffset, a.length), new DataView(b.buffer, b.byteOffset, b.length)];
  for (let at = 0; at < a.length; at += 4) {
    const [u, v] = [x.getFloat32(at, true), y.getFloat32(at, true)];
    if (x.getUint32(at, true) !== y.getUint32(at, true) && !(Number.isNaN(u) && Number.isNaN(v))) {
      return at + [0, 1, 2, 3].findIndex((i) => a[at + i] !== b[at + i]);
    }
  }
  return -1;
}

beforeAll(async () => {
  pool = new KernelThreadPool(memory, 3, nodeThreadSpawner);
  await pool.ready();
});

afterAll(() => pool.terminate());

describe('kernel thread pool', () => {
  it.each([0, 1, 3, 4, 5, 1021, 100003])('swish over %i elements equals one whole call, byte for byte', (count) => {
    fill(count, count + 1);
    simdKernels(memory).swish(X, Y_WHOLE, count);
    const whole = bytes(Y_WHOLE, count);
    // Chunks of 4 elements up to (nearly) the whole: every split must give the same bytes (at least 256 for
    // the largest case: tens of thousands of 4-element chunks only cost time).
    for (const minChunk of count > 10000 ? [256, 1000, 65536] : [4, 64, 1000, 65536]) {
      const out = Y_WHOLE + 4 * (count + 64);
      new Float32Array(memory.buffer, out, count).fill(7);
      pool.run('swish', [X, out, count], elementwiseSplit(count, [4, 4, 0], 2, minChunk));
      expect(firstDifference(bytes(out, count), whole), `chunks of ${minChunk}`).toBe(-1);
    }
  });

  it('splits a depthwise convolution by output rows with the bytes of one whole call', () => {
    // x [2, 13, 11, 21], 3x3 stride 2, TF-SAME (pad 1 top and left): y [2, 7, 6, 21], 14 rows over the batch.
    const geometry = [2, 13, 11, 21, 7, 6, 3, 3, 2, 2, 1, 1, 1, 1];
    const [xCount, wCount, yCount] = [2 * 13 * 11 * 21, 9 * 21, 2 * 7 * 6 * 21];
    fill(xCount + wCount + 21, 3);
    const [x, w, bias] = [X, X + 4 * xCount, X + 4 * (xCount + wCount)];
    simdKernels(memory).depthwiseForward_swish(x, w, bias, Y_WHOLE, ...geometry, 0, 14);
    const whole = bytes(Y_WHOLE, yCount);
    expect(new Float32Array(whole.buffer).some((v) => v !== 0)).toBe(true);
    for (const chunkRows of [1, 2, 5]) {
      const out = Y_WHOLE + 4 * (yCount + 64);
      new Float32Array(memory.buffer, out, yCount).fill(7);
      const args = [x, w, bias, out, ...geometry, 0, 14];
      const advance = args.map((_, i) => (i === args.length - 2 ? 1 : 0));
      pool.run('depthwiseForward_swish', args, { units: 14, chunkUnits: chunkRows, advance, countArg: args.length - 1 });
      expect(firstDifference(bytes(out, yCount), whole), `chunks of ${chunkRows} rows`).toBe(-1);
    }
  });

  it('splits a 1x1 convolution by pixel rows with the bytes of one whole call', () => {
    // x [23, 37] (pixels by channels) times w [37, 21]: every block width, 4-row blocks and single rows.
    const [rows, depth, cols] = [23, 37, 21];
    fill(rows * depth + depth * cols + cols, 4);
    const [x, w, bias] = [X, X + 4 * rows * depth, X + 4 * (rows * depth + depth * cols)];
    simdKernels(memory).pointwiseForward_swish(x, w, bias, Y_WHOLE, depth, cols, 0, rows);
    const whole = bytes(Y_WHOLE, rows * cols);
    for (const chunkRows of [1, 3, 4, 8]) {
      const out = Y_WHOLE + 4 * (rows * cols + 64);
      new Float32Array(memory.buffer, out, rows * cols).fill(7);
      pool.run('pointwiseForward_swish', [x, w, bias, out, depth, cols, 0, rows], { units: rows, chunkUnits: chunkRows, advance: [0, 0, 0, 0, 0, 0, 1, 0], countArg: 7 });
      expect(firstDifference(bytes(out, rows * cols), whole), `chunks of ${chunkRows} rows`).toBe(-1);
    }
  });

  it('splits maxArgMax by rows with the bytes of one whole call (NaN rows included)', () => {
    // 1001 rows of 90 scores (22 groups of 4 and 2 left over), the fill's NaN and infinities among them.
    const [rows, columns] = [1001, 90];
    fill(rows * columns, 8);
    // Maxima at `base`, indices right after them.
    const results = (base: number) => bytes(base, 2 * rows);
    simdKernels(memory).maxArgMax(X, Y_WHOLE, Y_WHOLE + 4 * rows, rows, columns);
    const whole = results(Y_WHOLE);
    for (const chunkRows of [1, 7, 300]) {
      const out = Y_WHOLE + 4 * 2 * (rows + 16);
      new Float32Array(memory.buffer, out, 2 * rows).fill(7);
      pool.run('maxArgMax', [X, out, out + 4 * rows, rows, columns], { units: rows, chunkUnits: chunkRows, advance: [4 * columns, 4, 4, 0, 0], countArg: 3 });
      expect(firstDifference(results(out), whole), `chunks of ${chunkRows} rows`).toBe(-1);
    }
  });

  it('splits the squeeze-and-excitation passes by rows and pixels with the bytes of one whole call', () => {
    // x [19 rows, 13 pixels, 37 channels]: every channel block width in rowMeans; channelScale by pixels.
    const [rows, width, channels] = [19, 13, 37];
    const count = rows * width * channels;
    fill(count + channels, 6);
    const gate = X + 4 * count;
    const kernels = simdKernels(memory);
    kernels.rowMeans(X, Y_WHOLE, width, channels, rows);
    const wholeMeans = bytes(Y_WHOLE, rows * channels);
    kernels.channelScale(X, gate, Y_WHOLE, channels, rows * width);
    const wholeScaled = bytes(Y_WHOLE, count);
    for (const chunk of [1, 2, 5]) {
      const out = Y_WHOLE + 4 * (count + 64);
      new Float32Array(memory.buffer, out, count).fill(7);
      pool.run('rowMeans', [X, out, width, channels, rows], { units: rows, chunkUnits: chunk, advance: [4 * width * channels, 4 * channels, 0, 0, 0], countArg: 4 });
      expect(firstDifference(bytes(out, rows * channels), wholeMeans), `rowMeans in chunks of ${chunk} rows`).toBe(-1);
      pool.run('channelScale', [X, gate, out, channels, rows * width], { units: rows * width, chunkUnits: chunk * 7, advance: [4 * channels, 0, 4 * channels, 0, 0], countArg: 4 });
      expect(firstDifference(bytes(out, count), wholeScaled), `channelScale in chunks of ${chunk * 7} pixels`).toBe(-1);
    }
  });

  it('splits a direct convolution by output rows with the bytes of one whole call', () => {
    // x [2, 13, 11, 3], 3x3 stride 2, TF-SAME (pad 1 top and left), 3 -> 37 channels: y [2, 7, 6, 37].
    const geometry = [2, 13, 11, 3, 7, 6, 3, 3, 2, 2, 1, 1, 1, 1];
    const [xCount, wCount, yCount] = [2 * 13 * 11 * 3, 9 * 3 * 37, 2 * 7 * 6 * 37];
    fill(xCount + wCount + 37, 9);
    const [x, w, bias] = [X, X + 4 * xCount, X + 4 * (xCount + wCount)];
    simdKernels(memory).convForward_swish(x, w, bias, Y_WHOLE, ...geometry, 37, 0, 14);
    const whole = bytes(Y_WHOLE, yCount);
    for (const chunkRows of [1, 2, 5]) {
      const out = Y_WHOLE + 4 * (yCount + 64);
      new Float32Array(memory.buffer, out, yCount).fill(7);
      const args = [x, w, bias, out, ...geometry, 37, 0, 14];
      const advance = args.map((_, i) => (i === args.length - 2 ? 1 : 0));
      pool.run('convForward_swish', args, { units: 14, chunkUnits: chunkRows, advance, countArg: args.length - 1 });
      expect(firstDifference(bytes(out, yCount), whole), `chunks of ${chunkRows} rows`).toBe(-1);
    }
  });

  it('splits a padded max-pool by output rows with the bytes of one whole call', () => {
    // x [2, 13, 11, 7], 3x3 stride 2, pads 1 top, 1 bottom, 0 left, 1 right, padded with 0: y [2, 7, 5, 7].
    const geometry = [13, 11, 7, 7, 5, 3, 2, 1, 0, 0];
    const [xCount, yCount] = [2 * 13 * 11 * 7, 2 * 7 * 5 * 7];
    fill(xCount, 8);
    simdKernels(memory).paddedMaxPool(X, Y_WHOLE, ...geometry, 0, 14);
    const whole = bytes(Y_WHOLE, yCount);
    for (const chunkRows of [1, 3, 5]) {
      const out = Y_WHOLE + 4 * (yCount + 64);
      new Float32Array(memory.buffer, out, yCount).fill(7);
      const args = [X, out, ...geometry, 0, 14];
      const advance = args.map((_, i) => (i === 12 ? 1 : 0));
      pool.run('paddedMaxPool', args, { units: 14, chunkUnits: chunkRows, advance, countArg: 13 });
      expect(firstDifference(bytes(out, yCount), whole), `chunks of ${chunkRows} rows`).toBe(-1);
    }
  });

  it('splits an image interleave by pixels with the bytes of one whole call', () => {
    // Three planes of 1001 pixels (not a multiple of the 4-pixel step) into pixels of 3 values.
    const pixels = 1001;
    fill(3 * pixels, 11);
    const planes = [X, X + 4 * pixels, X + 8 * pixels];
    simdKernels(memory).interleave3(...planes, Y_WHOLE, pixels);
    const whole = bytes(Y_WHOLE, 3 * pixels);
    const view = floats();
    for (const i of [0, 5, 1000]) {
      for (let k = 0; k < 3; k++) expect(Object.is(view[Y_WHOLE / 4 + 3 * i + k], view[X / 4 + k * pixels + i]), `pixel ${i} value ${k}`).toBe(true);
    }
    for (const chunkPixels of [4, 100, 332]) {
      const out = Y_WHOLE + 4 * (3 * pixels + 64);
      new Float32Array(memory.buffer, out, 3 * pixels).fill(7);
      pool.run('interleave3', [...planes, out, pixels], { units: pixels, chunkUnits: chunkPixels, advance: [4, 4, 4, 12, 0], countArg: 4 });
      expect(firstDifference(bytes(out, 3 * pixels), whole), `chunks of ${chunkPixels} pixels`).toBe(-1);
    }
  });

  it('shares the chunks with its threads', () => {
    const count = 4 * 1024 * 1024 - 3;
    fill(count, 5);
    simdKernels(memory).swish(X, Y_WHOLE, count);
    const before = pool.chunksRun();
    // A few ms of work in 1024 chunks: the threads wake long before the owner could take them all.
    for (let attempt = 0; attempt < 5 && pool.chunksRun().slice(1).every((n, i) => n === before[i + 1]); attempt++) {
      pool.run('swish', [X, Y_WHOLE, count], elementwiseSplit(count, [4, 4, 0], 2, 4096));
    }
    const after = pool.chunksRun();
    expect(after.slice(1).some((n, i) => n > before[i + 1])).toBe(true);
  });

  it('reports a chunk that traps once every chunk is done, and keeps working', () => {
    const end = memory.buffer.byteLength;
    // The last chunks read past the end of memory.
    expect(() => pool.run('swish', [end - 4096 * 16, X, 4096 * 32], elementwiseSplit(4096 * 32, [4, 4, 0], 2, 4096))).toThrow(WasmKernelError);
    fill(1021, 9);
    simdKernels(memory).swish(X, Y_WHOLE, 1021);
    const out = Y_WHOLE + 8192;
    pool.run('swish', [X, out, 1021], elementwiseSplit(1021, [4, 4, 0], 2, 4));
    expect(firstDifference(bytes(out, 1021), bytes(Y_WHOLE, 1021))).toBe(-1);
  });

  it('refuses jobs it cannot hold', () => {
    const args = Array.from({ length: 25 }, () => 0);
    expect(() => pool.run('swish', args, { units: 8, chunkUnits: 4, advance: args, countArg: 2 })).toThrow(/at most 24/);
    expect(() => pool.run('swish', [X, X, 0], { units: 8, chunkUnits: 4, advance: [4], countArg: 2 })).toThrow(WasmKernelError);
    expect(() => pool.run('swish', [X, X, 0], { units: 1 << 20, chunkUnits: 1, advance: [4, 4, 0], countArg: 2 })).toThrow(/chunks/);
  });
});
