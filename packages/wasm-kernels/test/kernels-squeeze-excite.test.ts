/**
 * `EdetSqueezeExcite` (an EfficientNet block's channel gate in one kernel) and `EdetSqueezeExciteGate` (the
 * gate alone, `[N, C]`) on wasm against the same math composed of tfjs ops on the cpu backend (the mean
 * over W then H, a 1x1 convolution and bias, swish, a 1x1 convolution and bias, sigmoid, the product), on
 * seeded calls: channel counts around the 16-, 4- and 1-wide paths, 1 to 9 squeezed channels, maps from 0x0
 * and 1x1 up, batches of 0-3, NaN and +/-Infinity among the values; nothing may leak. Then the inputs they
 * refuse.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { SQUEEZE_EXCITE, SQUEEZE_EXCITE_GATE } from '@edet/tensor';

import { WasmKernelError, registerWasmKernels } from '../src/index.js';
import { type FuzzCase, type FuzzInput, type Outcome, differentialFailures, runCase, runOnWasm } from './support/differential.js';
import { Chooser } from './support/fuzz-cases.js';

beforeAll(async () => {
  await tf.setBackend('wasm');
  registerWasmKernels();
});

function randomCase(kernel: string, seed: number, maxSide = 9): FuzzCase {
  const r = new Chooser(seed);
  const channels = r.pick([1, 3, 4, 5, 16, 17, 21, 36, 53]);
  const squeezed = r.int(1, 9);
  const shape = [r.pick([0, 1, 1, 2, 3]), r.chance(0.05) ? 0 : r.int(1, maxSide), r.int(1, maxSide), channels];
  const special = r.pick([0, 0, 0.02]);
  const inputs: FuzzCase['inputs'] = {
    x: r.tensor(shape, 'float32', special),
    reduceFilter: r.tensor([1, 1, channels, squeezed], 'float32', 0),
    reduceBias: r.tensor([squeezed], 'float32', 0),
    expandFilter: r.tensor([1, 1, squeezed, channels], 'float32', 0),
    expandBias: r.tensor([channels], 'float32', 0),
  };
  return { label: `case ${seed}: x [${shape}] squeezed ${squeezed}${special ? ' with NaN/Inf' : ''}`, kernel, inputs, attrs: {} };
}

/** The kernel's math from tfjs ops (run on the cpu backend). */
function composed(c: FuzzCase): Outcome {
  const inputs = c.inputs as Record<string, FuzzInput>;
  const t4 = (name: string) => tf.tensor4d(inputs[name].values, inputs[name].shape as [number, number, number, number]);
  const t1 = (name: string) => tf.tensor1d(inputs[name].values);
  const y = tf.tidy(() => {
    const x = t4('x');
    const mean = tf.mean(tf.mean(x, 2, true), 1, true) as tf.Tensor4D;
    const reduced = tf.add(tf.conv2d(mean, t4('reduceFilter'), 1, 'same'), t1('reduceBias'));
    const hidden = tf.mul(reduced, tf.sigmoid(reduced)) as tf.Tensor4D;
    const gate = tf.sigmoid(tf.add(tf.conv2d(hidden, t4('expandFilter'), 1, 'same'), t1('expandBias')));
    return c.kernel === SQUEEZE_EXCITE_GATE ? tf.reshape(gate, [x.shape[0], x.shape[3]]) : tf.mul(x, gate);
  });
  const values = { values: Array.from(y.dataSync()), shape: y.shape, dtype: 'float32' as const };
  y.dispose();
  return runCase({ ...c, kernel: 'Identity', inputs: { x: values }, attrs: {} });
}

describe.each([SQUEEZE_EXCITE, SQUEEZE_EXCITE_GATE])('%s on wasm', (kernel) => {
  it('matches the composed ops on cpu over seeded calls and leaks nothing', async () => {
    const cases = Array.from({ length: 60 }, (_, i) => randomCase(kernel, i + 1));
    expect(cases.some((c) => (c.inputs as Record<string, FuzzInput>).x.shape[1] === 0)).toBe(true);
    // Means of up to 81 values and sums of up to 53 products, in float32 against tfjs cpu's: 1e-5 of max(1, |value|).
    expect(await differentialFailures(cases, 1e-5, composed)).toEqual([]);
  });

  it('computes EfficientNet-sized gates (many rows and chunks)', async () => {
    const cases = [randomCase(kernel, 1001, 40), randomCase(kernel, 1002, 40)];
    const r = new Chooser(5);
    const big = randomCase(kernel, 1003);
    big.inputs = {
      x: r.tensor([1, 33, 47, 100], 'float32', 0),
      reduceFilter: r.tensor([1, 1, 100, 6], 'float32', 0),
      reduceBias: r.tensor([6], 'float32', 0),
      expandFilter: r.tensor([1, 1, 6, 100], 'float32', 0),
      expandBias: r.tensor([100], 'float32', 0),
    };
    big.label = 'x [1,33,47,100] squeezed 6';
    expect(await differentialFailures([...cases, big], 1e-5, composed)).toEqual([]);
  });

  const x = { values: [1, 2, 3, 4], shape: [1, 2, 2, 1], dtype: 'float32' as const };
  const one = (shape: number[]) => ({ values: Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => 0.5), shape, dtype: 'float32' as const });
  const good = { x, reduceFilter: one([1, 1, 1, 2]), reduceBias: one([2]), expandFilter: one([1, 1, 2, 1]), expandBias: one([1]) };
  it.each<[string, Partial<FuzzCase['inputs']>, RegExp]>([
    ['an int32 x', { x: { ...x, dtype: 'int32' } }, /x must be float32/],
    ['a 3-D x', { x: { values: [1, 2], shape: [1, 2, 1], dtype: 'float32' } }, /x must be \[N, H, W, C\]/],
    ['a reduce filter of another channel count', { reduceFilter: one([1, 1, 3, 2]) }, /reduceFilter must be \[1,1,1,2\]/],
    ['a 3x3 reduce filter', { reduceFilter: one([3, 3, 1, 2]) }, /reduceFilter must be \[1,1,1,2\]/],
    ['a reduce bias of another length', { reduceBias: one([3]) }, /reduceBias must be \[2\]/],
    ['an expand filter of another shape', { expandFilter: one([1, 1, 2, 4]) }, /expandFilter must be \[1,1,2,1\]/],
    ['no expand bias', { expandBias: undefined }, /expandBias must be \[1\], got none/],
  ])('refuses %s with a WasmKernelError and leaks nothing', (_, change, message) => {
    const inputs = Object.fromEntries(Object.entries({ ...good, ...change }).filter(([, v]) => v !== undefined)) as FuzzCase['inputs'];
    const { outcome, leakedTensors, leakedDataIds } = runOnWasm({ label: 'bad', kernel, inputs, attrs: {} });
    expect('error' in outcome && outcome.error).toBeInstanceOf(WasmKernelError);
    expect('error' in outcome && outcome.error.message).toMatch(message);
    expect([leakedTensors, leakedDataIds]).toEqual([0, 0]);
  });
});
