/**
 * `EdetWeightedSum` (a BiFPN node's fast normalised fusion and activation in one pass) on wasm against the
 * same math composed of tfjs ops on the cpu backend (relu, sum, + epsilon, div, then products added in input
 * order, then the activation), on seeded calls: 2 and 3 maps, odd and empty shapes, negative, zero and
 * non-finite weights, NaN and +/-Infinity among the values; nothing may leak. Then the inputs it refuses.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { WEIGHTED_SUM } from '@edet/tensor';

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

/** The kernel's math from tfjs ops (run on the cpu backend), as the BiFPN layer composes it. */
function composed(c: FuzzCase): Outcome {
  const inputs = c.inputs as Record<string, FuzzInput>;
  const y = tf.tidy(() => {
    const clamped = tf.relu(tf.tensor1d(inputs.weights.values));
    const weights = tf.unstack(tf.div(clamped, tf.add(tf.sum(clamped), c.attrs.epsilon as number)));
    const maps = Object.keys(inputs).filter((name) => name.startsWith('x')).sort().map((name) => tf.tensor(inputs[name].values, inputs[name].shape));
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

  const map = { values: [1, 2, 3, 4], shape: [1, 2, 2, 1], dtype: 'float32' as const };
  const weights = { values: [1, 1], shape: [2], dtype: 'float32' as const };
  it.each<[string, Record<string, FuzzInput>, Record<string, unknown>, RegExp]>([
    ['one map', { x0: map, weights: { ...weights, values: [1], shape: [1] } }, {}, /x0 and x1 are required/],
    ['maps of different shapes', { x0: map, x1: { ...map, shape: [1, 4, 1, 1] }, weights }, {}, /x1 \[1,4,1,1\] differs from x0/],
    ['a weight per map missing', { x0: map, x1: map, x2: map, weights }, {}, /weights must be \[3\]/],
    ['int32 maps', { x0: { ...map, dtype: 'int32' }, x1: map, weights }, {}, /x0 must be float32/],
    ['an unknown activation', { x0: map, x1: map, weights }, { activation: 'gelu' }, /activation must be one of/],
  ])('refuses %s with a WasmKernelError and leaks nothing', (_, inputs, attrs, message) => {
    const { outcome, leakedTensors, leakedDataIds } = runOnWasm({ label: 'bad', kernel: WEIGHTED_SUM, inputs, attrs: { epsilon: 1e-4, activation: 'swish', ...attrs } });
    expect('error' in outcome && outcome.error).toBeInstanceOf(WasmKernelError);
    expect('error' in outcome && outcome.error.message).toMatch(message);
    expect([leakedTensors, leakedDataIds]).toEqual([0, 0]);
  });
});
