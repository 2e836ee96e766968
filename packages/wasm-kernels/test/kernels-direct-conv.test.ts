/**
 * `EdetConv2d` (the direct k x k convolution of few input channels, the stem, with bias and activation
 * fused) on wasm against the same math composed of tfjs ops on the cpu backend (`conv2d`, `add`, `relu6`,
 * `x * sigmoid(x)` or `sigmoid`), on seeded calls: output channel counts around the 32-, 4- and 1-wide
 * paths, 1 to 8 input channels, 1x1 to 5x5 filters, strides 1-2, dilations 1-2, 'same', 'valid' and
 * explicit padding, batches of 0-2, with and without bias, NaN and +/-Infinity among the values; nothing may
 * leak. Then the inputs it refuses.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { DIRECT_CONV, type DirectConvAttrs } from '@edet/tensor';

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
  const inChannels = r.int(1, 8);
  const outChannels = r.pick([1, 3, 4, 5, 31, 32, 33, 37]);
  const k = r.pick([1, 2, 3, 5]);
  const shape = [r.pick([0, 1, 1, 2]), r.int(1, 11), r.int(1, 11), inChannels];
  const pad: DirectConvAttrs['pad'] = r.pick<DirectConvAttrs['pad']>(['same', 'valid', [[0, 0], [r.int(0, 2), r.int(0, 2)], [r.int(0, 2), r.int(0, 2)], [0, 0]]]);
  const stride = r.int(1, 2);
  // tfjs takes dilations above 1 only with stride 1.
  const dilation = stride === 1 ? r.int(1, 2) : 1;
  const attrs: DirectConvAttrs = { strides: [stride, r.int(1, 2) === 1 || dilation > 1 ? stride : 1], dilations: [dilation, dilation], pad, activation: r.pick(FUSED_ACTIVATIONS_UNDER_TEST) };
  const special = r.pick([0, 0.05]);
  const inputs: FuzzCase['inputs'] = { x: r.tensor(shape, 'float32', special), filter: r.tensor([k, k, inChannels, outChannels], 'float32', special / 2) };
  if (r.chance(0.7)) inputs.bias = r.tensor([outChannels], 'float32', special / 2);
  const label = `case ${seed}: x [${shape}] ${k}x${k}x${inChannels}->${outChannels} s${attrs.strides} d${dilation} ${JSON.stringify(pad)} ${attrs.activation}${'bias' in inputs ? ' bias' : ''}`;
  return { label, kernel: DIRECT_CONV, inputs, attrs: attrs as unknown as Record<string, unknown> };
}

/** The kernel's math from tfjs ops (run on the cpu backend); an error where tfjs's conv refuses the geometry. */
function composed(c: FuzzCase): Outcome {
  const attrs = c.attrs as unknown as DirectConvAttrs;
  const inputs = c.inputs as Record<string, FuzzInput>;
  let y: tf.Tensor;
  try {
    y = tf.tidy(() => {
      const x = tf.tensor4d(inputs.x.values, inputs.x.shape as [number, number, number, number]);
      const filter = tf.tensor4d(inputs.filter.values, inputs.filter.shape as [number, number, number, number]);
      let out: tf.Tensor = tf.conv2d(x, filter, attrs.strides, attrs.pad, 'NHWC', attrs.dilations);
      if (inputs.bias !== undefined) out = tf.add(out, tf.tensor1d(inputs.bias.values));
      return composedActivation(out, attrs.activation);
    });
  } catch (error) {
    return { error: error as Error };
  }
  const values = { values: Array.from(y.dataSync()), shape: y.shape, dtype: 'float32' as const };
  y.dispose();
  return runCase({ ...c, kernel: 'Identity', inputs: { x: values }, attrs: {} });
}

describe('EdetConv2d on wasm', () => {
  it('matches the composed ops on cpu over seeded calls and leaks nothing', async () => {
    const cases = Array.from({ length: 80 }, (_, i) => randomCase(i + 1));
    // Sums of up to 200 products in float32 against tfjs cpu's: 1e-5 of max(1, |value|).
    expect(await differentialFailures(cases, 1e-5, composed)).toEqual([]);
  });

  it('computes an EfficientNet stem (3x3 stride 2, 3 -> 32, TF-SAME, swish)', async () => {
    const r = new Chooser(11);
    const c: FuzzCase = {
      label: 'stem x [1,37,29,3] 3x3 s2 same swish',
      kernel: DIRECT_CONV,
      inputs: { x: r.tensor([1, 37, 29, 3], 'float32', 0), filter: r.tensor([3, 3, 3, 32], 'float32', 0), bias: r.tensor([32], 'float32', 0) },
      attrs: { strides: [2, 2], dilations: [1, 1], pad: 'same', activation: 'swish' },
    };
    expect(await differentialFailures([c], 1e-5, composed)).toEqual([]);
  });

  const x = { values: [1, 2, 3, 4], shape: [1, 2, 2, 1], dtype: 'float32' as const };
  const filter = { values: [1, 2], shape: [1, 1, 1, 2], dtype: 'float32' as const };
  it.each<[string, Partial<FuzzCase>, RegExp]>([
    ['an int32 x', { inputs: { x: { ...x, dtype: 'int32' }, filter } }, /x must be float32/],
    ['a filter of another input channel count', { inputs: { x, filter: { ...filter, shape: [1, 1, 2, 1] } } }, /filter must be \[kh, kw, 1, out\]/],
    ['a bias of another length', { inputs: { x, filter, bias: { values: [1], shape: [1], dtype: 'float32' } } }, /bias must be \[2\]/],
    ['an unknown activation', { attrs: { strides: [1, 1], dilations: [1, 1], pad: 'same', activation: 'gelu' } }, /activation must be one of linear, relu6, swish, sigmoid/],
  ])('refuses %s with a WasmKernelError and leaks nothing', (_, change, message) => {
    const base: FuzzCase = { label: 'bad', kernel: DIRECT_CONV, inputs: { x, filter }, attrs: { strides: [1, 1], dilations: [1, 1], pad: 'same', activation: 'linear' } };
    const { outcome, leakedTensors, leakedDataIds } = runOnWasm({ ...base, ...change });
    expect('error' in outcome && outcome.error).toBeInstanceOf(WasmKernelError);
    expect('error' in outcome && outcome.error.message).toMatch(message);
    expect([leakedTensors, leakedDataIds]).toEqual([0, 0]);
  });
});
