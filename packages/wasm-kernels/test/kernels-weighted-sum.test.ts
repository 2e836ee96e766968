/**
 * `EdetWeightedSum` (a BiFPN node's fast normalised fusion and activation in one pass) on wasm against the
 * same math composed of tfjs ops on the cpu backend (relu, sum, + epsilon, div, then products added in input
 * order, then the activation), on seeded calls: 2 and 3 maps, odd and empty shapes, negative, zero and
 * non-finite weights, NaN and +/-Infinity among the values, and with `upsampleLast` the second map at half
 * size (odd sizes cropped; `upsampleNearestTo` first in the composed ops); nothing may leak. Then the
 * inputs it refuses.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { WEIGHTED_SUM, upsampleNearestTo } from '@edet/tensor';

import { WasmKernelError, registerWasmKernels } from '../src/index.js';
import { type FuzzCase, type FuzzInput, type Outcome, differentialFailures, runCase, runOnWasm } from './support/differential.js';
import { FUSED_ACTIVATIONS_UNDER_TEST, composedActivation } from './support/fused-activations.js';
import { Chooser } from './support/fuzz-cases.js';

beforeAll(async () => {
  await tf.setBackend('wasm');
  registerWasmKernels();
});

function randomCase(seed: number): FuzzCase {
  const r = new Chooser(seed);
  const maps = r.pick([2, 3]);
  const shape = [r.pick([0, 1, 1, 2]), r.int(1, 6), r.int(1, 6), r.pick([1, 3, 4, 7, 64])];
  const special = r.pick([0, 0.05]);
  const inputs: Record<string, FuzzInput> = {};
  for (let i = 0; i < maps; i++) inputs[`x${i}`] = r.tensor(shape, 'float32', special);
  // Weights: seeded values in [-2, 2), sometimes all zero, sometimes non-finite.
  inputs.weights = r.pick([0, 0, 0, 1]) === 1 ? { values: Array(maps).fill(0), shape: [maps], dtype: 'float32' } : r.tensor([maps], 'float32', special);
  const activation = r.pick(FUSED_ACTIVATIONS_UNDER_TEST);
  return { label: `case ${seed}: ${maps} maps [${shape}] w [${inputs.weights.values}] ${activation}`, kernel: WEIGHTED_SUM, inputs, attrs: { epsilon: 1e-4, activation } };
}

/** Two maps, the second at half size (rounded up), to be upsampled in the kernel. */
function upsampleCase(seed: number): FuzzCase {
  const r = new Chooser(seed);
  const [n, height, width, channels] = [r.pick([0, 1, 1, 2]), r.int(1, 9), r.int(1, 9), r.pick([1, 3, 4, 7, 64])];
  const special = r.pick([0, 0.05]);
  const inputs: Record<string, FuzzInput> = {
    x0: r.tensor([n, height, width, channels], 'float32', special),
    x1: r.tensor([n, Math.ceil(height / 2), Math.ceil(width / 2), channels], 'float32', special),
    weights: r.tensor([2], 'float32', special),
  };
  const activation = r.pick(FUSED_ACTIVATIONS_UNDER_TEST);
  return { label: `case ${seed}: [${inputs.x0.shape}] + up [${inputs.x1.shape}] ${activation}`, kernel: WEIGHTED_SUM, inputs, attrs: { epsilon: 1e-4, activation, upsampleLast: true } };
}

/** The kernel's math from tfjs ops (run on the cpu backend), as the BiFPN layer composes it. */
function composed(c: FuzzCase): Outcome {
  const inputs = c.inputs as Record<string, FuzzInput>;
  const y = tf.tidy(() => {
    const clamped = tf.relu(tf.tensor1d(inputs.weights.values));
    const weights = tf.unstack(tf.div(clamped, tf.add(tf.sum(clamped), c.attrs.epsilon as number)));
    const maps = Object.keys(inputs).filter((name) => name.startsWith('x')).sort().map((name) => tf.tensor4d(inputs[name].values, inputs[name].shape as [number, number, number, number]));
    if (c.attrs.upsampleLast === true) maps[1] = upsampleNearestTo(maps[1], [maps[0].shape[1], maps[0].shape[2]]);
    let total = tf.mul(weights[0], maps[0]);
    for (let i = 1; i < maps.length; i++) total = tf.add(total, tf.mul(weights[i], maps[i]));
    return composedActivation(total, c.attrs.activation);
  });
  const data: FuzzInput = { values: Array.from(y.dataSync()), shape: y.shape, dtype: 'float32' };
  y.dispose();
  return runCase({ label: c.label, kernel: 'Identity', inputs: { x: data }, attrs: {} });
}

describe('EdetWeightedSum on wasm', () => {
  it('matches the composed ops on cpu over seeded calls and leaks nothing', async () => {
    const cases = Array.from({ length: 80 }, (_, i) => randomCase(i + 1));
    // The same float32 roundings in the same order, but a weight's normalisation and the activation's exp
    // may each differ by an ulp or so: 1e-6 of max(1, |value|).
    expect(await differentialFailures(cases, 1e-6, composed)).toEqual([]);
  });

  it('upsamples the second map in the same pass (upsampleLast), as upsampleNearestTo then the fusion', async () => {
    const cases = Array.from({ length: 60 }, (_, i) => upsampleCase(i + 1));
    expect(await differentialFailures(cases, 1e-6, composed)).toEqual([]);
  });

  it('reads cell (i >> 1, j >> 1) of the second map for output cell (i, j)', () => {
    const c: FuzzCase = {
      label: '3x3 from 2x2',
      kernel: WEIGHTED_SUM,
      inputs: {
        x0: { values: Array(9).fill(0), shape: [1, 3, 3, 1], dtype: 'float32' },
        x1: { values: [1, 2, 3, 4], shape: [1, 2, 2, 1], dtype: 'float32' },
        weights: { values: [0, 1], shape: [2], dtype: 'float32' },
      },
      attrs: { epsilon: 0, activation: 'linear', upsampleLast: true },
    };
    expect(runCase(c)).toEqual({ outputs: [{ values: [1, 1, 2, 1, 1, 2, 3, 3, 4], shape: [1, 3, 3, 1], dtype: 'float32' }] });
  });

  const map = { values: [1, 2, 3, 4], shape: [1, 2, 2, 1], dtype: 'float32' as const };
  const weights = { values: [1, 1], shape: [2], dtype: 'float32' as const };
  it.each<[string, Record<string, FuzzInput>, Record<string, unknown>, RegExp]>([
    ['one map', { x0: map, weights: { ...weights, values: [1], shape: [1] } }, {}, /x0 and x1 are required/],
    ['maps of different shapes', { x0: map, x1: { ...map, shape: [1, 4, 1, 1] }, weights }, {}, /x1 \[1,4,1,1\] differs from x0/],
    ['a weight per map missing', { x0: map, x1: map, x2: map, weights }, {}, /weights must be \[3\]/],
    ['int32 maps', { x0: { ...map, dtype: 'int32' }, x1: map, weights }, {}, /x0 must be float32/],
    ['an unknown activation', { x0: map, x1: map, weights }, { activation: 'gelu' }, /activation must be one of/],
    ['upsampleLast with three maps', { x0: map, x1: map, x2: map, weights: { ...weights, values: [1, 1, 1], shape: [3] } }, { upsampleLast: true }, /upsampleLast takes two maps, got 3/],
    ['upsampleLast with a second map too small', { x0: { ...map, values: Array(25).fill(1), shape: [1, 5, 5, 1] }, x1: map, weights }, { upsampleLast: true }, /x1 must be \[1, h, w, 1\] with \(h - 1\) \* 2 < 5 <= 2h/],
    ['upsampleLast with other channels', { x0: map, x1: { ...map, shape: [1, 1, 1, 4] }, weights }, { upsampleLast: true }, /x1 must be \[1, h, w, 1\]/],
    ['upsampleLast not a boolean', { x0: map, x1: map, weights }, { upsampleLast: 1 }, /upsampleLast must be true or false, got 1/],
  ])('refuses %s with a WasmKernelError and leaks nothing', (_, inputs, attrs, message) => {
    const { outcome, leakedTensors, leakedDataIds } = runOnWasm({ label: 'bad', kernel: WEIGHTED_SUM, inputs, attrs: { epsilon: 1e-4, activation: 'swish', ...attrs } });
    expect('error' in outcome && outcome.error).toBeInstanceOf(WasmKernelError);
    expect('error' in outcome && outcome.error.message).toMatch(message);
    expect([leakedTensors, leakedDataIds]).toEqual([0, 0]);
  });
});
