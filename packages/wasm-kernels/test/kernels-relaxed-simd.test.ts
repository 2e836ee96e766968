/**
 * The inference convolutions (1x1, depthwise, the stem's direct convolution) on relaxed SIMD's multiply-add.
 * This file turns on Node 20's `--experimental-wasm-relaxed-simd` before the kernels' module is compiled
 * (vitest.config.ts runs this file in a process of its own), so the module holds the relaxed programs; Node 22 and later
 * have relaxed SIMD on already. Against a float64 reference, each kernel must be within the plain path's
 * tolerance and no less accurate on average; it must differ from the plain path exactly where this machine
 * fuses multiply-adds (probed separately); split over threads it must give the bytes of one call; and
 * `relaxedSimd: false` must bring the plain path's bytes back.
 */
import v8 from 'node:v8';

import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DEPTHWISE_CONV, DIRECT_CONV, POINTWISE_CONV } from '@edet/tensor';

import { WasmKernelError, registerWasmKernels, wasmKernelFeatures } from '../src/index.js';
import { nodeThreadSpawner } from '../src/node/index.js';
import { KernelThreadPool } from '../src/threads/kernel-threads.js';
import { relaxedSimdAvailable } from '../src/wasm/relaxed-simd.js';
import { simdKernels } from '../src/wasm/simd-module.js';
import { Chooser } from './support/fuzz-cases.js';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

type Shape4D = [number, number, number, number];

interface ConvCase {
  label: string;
  kernel: string;
  x: Shape4D;
  filter: Shape4D;
  strides: number;
  attrs: Record<string, unknown>;
}

// x, filter and stride cover each kernel's block widths, the depthwise fast paths (3x3 stride 2, 5x5
// stride 1) and their edges, and the stem's 32-, 4- and 1-wide output channel blocks.
const CASES: ConvCase[] = [
  { label: '1x1, 99 rows, 37 -> 21', kernel: POINTWISE_CONV, x: [1, 9, 11, 37], filter: [1, 1, 37, 21], strides: 1, attrs: {} },
  { label: 'depthwise 3x3 stride 2, 21 channels', kernel: DEPTHWISE_CONV, x: [2, 13, 11, 21], filter: [3, 3, 21, 1], strides: 2, attrs: {} },
  { label: 'depthwise 5x5 stride 1, 20 channels', kernel: DEPTHWISE_CONV, x: [1, 12, 14, 20], filter: [5, 5, 20, 1], strides: 1, attrs: {} },
  { label: 'stem 3x3 stride 2, 3 -> 37', kernel: DIRECT_CONV, x: [1, 17, 19, 3], filter: [3, 3, 3, 37], strides: 2, attrs: {} },
];

function attrsOf(c: ConvCase): Record<string, unknown> {
  if (c.kernel === POINTWISE_CONV) return { activation: 'swish' };
  return { strides: [c.strides, c.strides], dilations: [1, 1], pad: 'same', activation: 'swish' };
}

/** The case's x, filter and bias, seeded. */
function inputsOf(c: ConvCase, seed: number): { x: Float32Array; filter: Float32Array; bias: Float32Array } {
  const r = new Chooser(seed);
  const values = (shape: number[]) => Float32Array.from(r.tensor(shape, 'float32', 0).values as number[]);
  const outChannels = c.kernel === DEPTHWISE_CONV ? c.filter[2] : c.filter[3];
  return { x: values(c.x), filter: values(c.filter), bias: values([outChannels]) };
}

/** swish(conv(x, filter) + bias) in float64, TF-SAME padding, taps in the padding skipped. */
function reference(c: ConvCase, data: ReturnType<typeof inputsOf>): Float64Array {
  const info = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, 'same', undefined, c.kernel === DEPTHWISE_CONV);
  const [kh, kw, inChannels] = c.filter;
  const depthwise = c.kernel === DEPTHWISE_CONV;
  const outChannels = info.outChannels;
  const y = new Float64Array(info.batchSize * info.outHeight * info.outWidth * outChannels);
  let at = 0;
  for (let n = 0; n < info.batchSize; n++) {
    for (let oy = 0; oy < info.outHeight; oy++) {
      for (let ox = 0; ox < info.outWidth; ox++) {
        for (let o = 0; o < outChannels; o++) {
          let sum = data.bias[o];
          for (let p = 0; p < kh; p++) {
            const iy = oy * info.strideHeight - info.padInfo.top + p;
            if (iy < 0 || iy >= info.inHeight) continue;
            for (let q = 0; q < kw; q++) {
              const ix = ox * info.strideWidth - info.padInfo.left + q;
              if (ix < 0 || ix >= info.inWidth) continue;
              const pixel = ((n * info.inHeight + iy) * info.inWidth + ix) * inChannels;
              if (depthwise) sum += data.x[pixel + o] * data.filter[(p * kw + q) * inChannels + o];
              else for (let i = 0; i < inChannels; i++) sum += data.x[pixel + i] * data.filter[((p * kw + q) * inChannels + i) * outChannels + o];
            }
          }
          y[at++] = sum / (1 + Math.exp(-sum));
        }
      }
    }
  }
  return y;
}

/** The registered kernel's output on wasm, as float32 values; disposes what it makes. */
function runKernel(c: ConvCase, data: ReturnType<typeof inputsOf>): Float32Array {
  const outChannels = c.kernel === DEPTHWISE_CONV ? c.filter[2] : c.filter[3];
  const inputs = { x: tf.tensor4d(data.x, c.x), filter: tf.tensor4d(data.filter, c.filter), bias: tf.tensor1d(data.bias) };
  expect(inputs.bias.size).toBe(outChannels);
  const y = tf.engine().runKernel(c.kernel, inputs, attrsOf(c) as unknown as tf.NamedAttrMap) as tf.Tensor;
  const values = y.dataSync() as Float32Array;
  tf.dispose([y, inputs.x, inputs.filter, inputs.bias]);
  return Float32Array.from(values);
}

/** Whether this machine fuses `relaxed_madd`: (1 + 2^-23)^2 - (1 + 2^-22) is 2^-46 fused, 0 rounded twice. */
function machineFusesMultiplyAdd(): boolean {
  // (module (func (export "f") (param f32 f32 f32) (result f32)
  //   (f32x4.extract_lane 0 (f32x4.relaxed_madd (f32x4.splat p0) (f32x4.splat p1) (f32x4.splat p2)))))
  const body = [0x00, 0x20, 0x00, 0xfd, 0x13, 0x20, 0x01, 0xfd, 0x13, 0x20, 0x02, 0xfd, 0x13, 0xfd, 0x85, 0x02, 0xfd, 0x1f, 0x00, 0x0b];
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...[0x01, 0x08, 0x01, 0x60, 0x03, 0x7d, 0x7d, 0x7d, 0x01, 0x7d],
    ...[0x03, 0x02, 0x01, 0x00],
    ...[0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00],
    ...[0x0a, body.length + 2, 0x01, body.length, ...body],
  ];
  const instance = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(bytes)));
  const f = instance.exports.f as (a: number, b: number, c: number) => number;
  const a = Math.fround(1 + 2 ** -23);
  return f(a, a, -Math.fround(1 + 2 ** -22)) !== 0;
}

function errors(got: Float32Array, want: Float64Array): { worst: number; mean: number } {
  let worst = 0;
  let total = 0;
  got.forEach((v, i) => {
    const e = Math.abs(v - want[i]) / Math.max(1, Math.abs(want[i]));
    worst = Math.max(worst, e);
    total += e;
  });
  return { worst, mean: total / got.length };
}

beforeAll(async () => {
  await tf.setBackend('wasm');
  registerWasmKernels();
  expect(wasmKernelFeatures(), 'off by default').toEqual({ relaxedSimd: false, relaxedSimdAvailable: true });
  // On at the kernels' first run, so that their module holds the relaxed programs; then back to the default.
  registerWasmKernels({ relaxedSimd: true });
  runKernel(CASES[0], inputsOf(CASES[0], 1));
  registerWasmKernels({ relaxedSimd: false });
});

afterAll(() => registerWasmKernels({ relaxedSimd: false }));

describe('relaxed SIMD multiply-add in the inference convolutions', () => {
  it('is detected once the runtime validates it, and used when asked for', () => {
    expect(relaxedSimdAvailable()).toBe(true);
    expect(wasmKernelFeatures()).toEqual({ relaxedSimd: false, relaxedSimdAvailable: true });
    registerWasmKernels({ relaxedSimd: true });
    expect(wasmKernelFeatures()).toEqual({ relaxedSimd: true, relaxedSimdAvailable: true });
    registerWasmKernels({});
    expect(wasmKernelFeatures(), 'options without relaxedSimd keep the setting').toEqual({ relaxedSimd: true, relaxedSimdAvailable: true });
  });

  it.each(CASES)('$label: within 1e-5 of float64, no less accurate than the plain path, different from it only where the machine fuses', (c) => {
    const fuses = machineFusesMultiplyAdd();
    const data = inputsOf(c, 17);
    const want = reference(c, data);
    const before = tf.memory().numTensors;
    registerWasmKernels({ relaxedSimd: false });
    expect(wasmKernelFeatures().relaxedSimd).toBe(false);
    const plain = runKernel(c, data);
    registerWasmKernels({ relaxedSimd: true });
    const relaxed = runKernel(c, data);
    registerWasmKernels({ relaxedSimd: false });
    const plainAgain = runKernel(c, data);
    expect(tf.memory().numTensors).toBe(before);

    expect(Buffer.from(plainAgain.buffer).equals(Buffer.from(plain.buffer)), 'the plain path is restored').toBe(true);
    expect(Buffer.from(relaxed.buffer).equals(Buffer.from(plain.buffer)), 'relaxed differs from plain').toBe(!fuses);
    const [plainError, relaxedError] = [errors(plain, want), errors(relaxed, want)];
    expect(relaxedError.worst).toBeLessThan(1e-5);
    expect(plainError.worst).toBeLessThan(1e-5);
    // One rounding per product instead of two: on average at least as close (10% slack for the sample).
    expect(relaxedError.mean).toBeLessThanOrEqual(plainError.mean * 1.1);
  });

  it('refuses a relaxedSimd option that is not a boolean, changing nothing', () => {
    registerWasmKernels({ relaxedSimd: true });
    expect(() => registerWasmKernels({ relaxedSimd: 'no' as unknown as boolean })).toThrow(WasmKernelError);
    expect(() => registerWasmKernels({ relaxedSimd: 'no' as unknown as boolean })).toThrow(/options.relaxedSimd must be true or false, got no/);
    expect(wasmKernelFeatures().relaxedSimd).toBe(true);
    registerWasmKernels({ relaxedSimd: false });
  });
});

describe('relaxed SIMD kernels over threads', () => {
  const memory = new WebAssembly.Memory({ initial: 64, maximum: 64, shared: true });
  let pool: KernelThreadPool;

  beforeAll(async () => {
    pool = new KernelThreadPool(memory, 3, nodeThreadSpawner);
    await pool.ready();
  });

  afterAll(() => pool.terminate());

  /** Writes seeded values at byte 0 and returns the byte offsets of x, w, bias and two outputs. */
  function lay(counts: { x: number; w: number; bias: number; y: number }) {
    const total = counts.x + counts.w + counts.bias;
    new Float32Array(memory.buffer).set(new Chooser(5).tensor([total], 'float32', 0).values);
    const x = 0;
    const w = 4 * counts.x;
    const bias = w + 4 * counts.w;
    const whole = bias + 4 * counts.bias;
    const split = whole + 4 * (counts.y + 16);
    return { x, w, bias, whole, split, bytes: (at: number) => new Uint8Array(memory.buffer.slice(at, at + 4 * counts.y)) };
  }

  it('splits the relaxed 1x1 convolution by rows with the bytes of one call', () => {
    const [rows, depth, cols] = [23, 37, 21];
    const at = lay({ x: rows * depth, w: depth * cols, bias: cols, y: rows * cols });
    const kernel = simdKernels(memory).pointwiseForwardRelaxed_swish;
    expect(kernel).toBeTypeOf('function');
    kernel!(at.x, at.w, at.bias, at.whole, depth, cols, 0, rows);
    for (const chunkRows of [1, 3, 4]) {
      pool.run('pointwiseForwardRelaxed_swish', [at.x, at.w, at.bias, at.split, depth, cols, 0, rows], {
        units: rows,
        chunkUnits: chunkRows,
        advance: [0, 0, 0, 0, 0, 0, 1, 0],
        countArg: 7,
      });
      expect(Buffer.from(at.bytes(at.split)).equals(Buffer.from(at.bytes(at.whole))), `chunks of ${chunkRows} rows`).toBe(true);
    }
  });

  it.each([
    ['depthwiseForwardRelaxed_swish', [2, 13, 11, 21, 7, 6, 3, 3, 2, 2, 1, 1, 1, 1], 14, 9 * 21, 21],
    ['convForwardRelaxed_swish', [1, 17, 19, 3, 9, 10, 3, 3, 2, 2, 1, 1, 1, 1, 37], 9, 27 * 37, 37],
  ] as const)('splits %s by output rows with the bytes of one call', (name, geometry, rows, weights, outChannels) => {
    const [batch, inHeight, inWidth, channels, outHeight, outWidth] = geometry;
    const yCount = batch * outHeight * outWidth * outChannels;
    const at = lay({ x: batch * inHeight * inWidth * channels, w: weights, bias: outChannels, y: yCount });
    const kernel = simdKernels(memory)[name];
    expect(kernel).toBeTypeOf('function');
    kernel!(at.x, at.w, at.bias, at.whole, ...geometry, 0, rows);
    for (const chunkRows of [1, 2, 5]) {
      const args = [at.x, at.w, at.bias, at.split, ...geometry, 0, rows];
      const advance = args.map((_, i) => (i === args.length - 2 ? 1 : 0));
      pool.run(name, args, { units: rows, chunkUnits: chunkRows, advance, countArg: args.length - 1 });
      expect(Buffer.from(at.bytes(at.split)).equals(Buffer.from(at.bytes(at.whole))), `chunks of ${chunkRows} rows`).toBe(true);
    }
  });
});
