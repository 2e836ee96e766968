/**
 * `EdetPaddedMaxPool` (a max-pool over a constant padding, without the padded copy) on wasm against
 * `tf.maxPool(tf.pad(x, pads, padValue), size, stride, 'valid')` on the cpu backend, on seeded calls:
 * channel counts around the 4- and 1-wide paths, windows 1-4, strides 1-3, pads 0-2 on each side, pad values
 * 0, -Infinity and others, batches of 0-2, NaN and +/-Infinity among the values; nothing may leak. Then the
 * inputs it refuses.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { PADDED_MAX_POOL, type PaddedMaxPoolAttrs } from '@edet/tensor';

import { WasmKernelError, registerWasmKernels } from '../src/index.js';
import { type FuzzCase, type FuzzInput, type Outcome, differentialFailures, runCase, runOnWasm } from './support/differential.js';
import { Chooser } from './support/fuzz-cases.js';

beforeAll(async () => {
  await tf.setBackend('wasm');
  registerWasmKernels();
});

function randomCase(seed: number): FuzzCase {
  const r = new Chooser(seed);
  const filterSize = r.int(1, 4);
  const pads: PaddedMaxPoolAttrs['pads'] = [r.int(0, 2), r.int(0, 2), r.int(0, 2), r.int(0, 2)];
  // At least the window once padded.
  const side = (before: number, after: number) => Math.max(1, filterSize - before - after) + r.int(0, 9);
  const shape = [r.pick([0, 1, 1, 2]), side(pads[0], pads[1]), side(pads[2], pads[3]), r.pick([1, 3, 4, 5, 8, 13])];
  const attrs: PaddedMaxPoolAttrs = { filterSize, stride: r.int(1, 3), pads, padValue: r.pick([0, Number.NEGATIVE_INFINITY, -1.5, 2]) };
  const x = r.tensor(shape, 'float32', r.pick([0, 0.1]));
  return { label: `case ${seed}: x [${shape}] ${filterSize}x${filterSize} s${attrs.stride} pads ${pads} value ${attrs.padValue}`, kernel: PADDED_MAX_POOL, inputs: { x }, attrs: attrs as unknown as Record<string, unknown> };
}

/** The kernel's math from tfjs ops (run on the cpu backend). */
function composed(c: FuzzCase): Outcome {
  const x = (c.inputs as Record<string, FuzzInput>).x;
  const { filterSize, stride, pads, padValue } = c.attrs as unknown as PaddedMaxPoolAttrs;
  const y = tf.tidy(() => {
    const padded = tf.pad(tf.tensor4d(x.values, x.shape as [number, number, number, number]), [[0, 0], [pads[0], pads[1]], [pads[2], pads[3]], [0, 0]], padValue);
    return tf.maxPool(padded as tf.Tensor4D, filterSize, stride, 'valid');
  });
  const values = { values: Array.from(y.dataSync()), shape: y.shape, dtype: 'float32' as const };
  y.dispose();
  return runCase({ ...c, kernel: 'Identity', inputs: { x: values }, attrs: {} });
}

describe('EdetPaddedMaxPool on wasm', () => {
  it('matches a pad and a max-pool on cpu over seeded calls and leaks nothing', async () => {
    const cases = Array.from({ length: 80 }, (_, i) => randomCase(i + 1));
    // A maximum is one of its inputs: exact.
    expect(await differentialFailures(cases, 0, composed)).toEqual([]);
  });

  it('skips NaN in a window (one of NaN alone gives -Infinity), and copies the map for a 1x1 window at stride 1, as the cpu kernel', async () => {
    const x = { values: [Number.NaN, Number.NaN, Number.NaN, 3, Number.NaN, -0, Number.NaN, Number.NaN], shape: [1, 2, 2, 2], dtype: 'float32' as const };
    const attrs: PaddedMaxPoolAttrs = { filterSize: 1, stride: 1, pads: [0, 0, 0, 0], padValue: 0 };
    const { outcome } = runOnWasm({ label: 'nan', kernel: PADDED_MAX_POOL, inputs: { x }, attrs: attrs as unknown as Record<string, unknown> });
    expect('outputs' in outcome && outcome.outputs[0].values).toEqual(x.values);
    const strided = runOnWasm({ label: 'nan s2', kernel: PADDED_MAX_POOL, inputs: { x }, attrs: { ...attrs, stride: 2 } as unknown as Record<string, unknown> }).outcome;
    expect('outputs' in strided && strided.outputs[0].values).toEqual([Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY]);
    const pooled = { ...attrs, filterSize: 2 };
    const all = runOnWasm({ label: 'nan 2x2', kernel: PADDED_MAX_POOL, inputs: { x }, attrs: pooled as unknown as Record<string, unknown> }).outcome;
    expect('outputs' in all && all.outputs[0].values).toEqual([Number.NEGATIVE_INFINITY, 3]);
  });

  const x = { values: [1, 2, 3, 4], shape: [1, 2, 2, 1], dtype: 'float32' as const };
  const good: PaddedMaxPoolAttrs = { filterSize: 3, stride: 2, pads: [0, 1, 0, 1], padValue: 0 };
  it.each<[string, Partial<FuzzCase>, RegExp]>([
    ['an int32 x', { inputs: { x: { ...x, dtype: 'int32' } } }, /x must be float32/],
    ['a 3-D x', { inputs: { x: { values: [1, 2], shape: [1, 2, 1], dtype: 'float32' } } }, /x must be \[N, H, W, C\]/],
    ['a window of 0', { attrs: { ...good, filterSize: 0 } }, /filterSize must be a whole number from 1/],
    ['a fractional stride', { attrs: { ...good, stride: 1.5 } }, /stride must be a whole number from 1/],
    ['three pads', { attrs: { ...good, pads: [0, 1, 0] } }, /pads must be \[top, bottom, left, right\]/],
    ['a negative pad', { attrs: { ...good, pads: [0, -1, 0, 1] } }, /pads must be/],
    ['a pad value that is not a number', { attrs: { ...good, padValue: '0' } }, /padValue must be a number/],
    ['a window larger than the padded map', { attrs: { ...good, pads: [0, 0, 0, 0] } }, /smaller than the 3x3 window/],
  ])('refuses %s with a WasmKernelError and leaks nothing', (_, change, message) => {
    const base: FuzzCase = { label: 'bad', kernel: PADDED_MAX_POOL, inputs: { x }, attrs: good as unknown as Record<string, unknown> };
    const { outcome, leakedTensors, leakedDataIds } = runOnWasm({ ...base, ...change });
    expect('error' in outcome && outcome.error).toBeInstanceOf(WasmKernelError);
    expect('error' in outcome && outcome.error.message).toMatch(message);
    expect([leakedTensors, leakedDataIds]).toEqual([0, 0]);
  });
});
