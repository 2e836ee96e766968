/**
 * `EdetDepthwiseConv2d` (the inference depthwise convolution with bias and activation fused) on wasm against
 * the same math composed of tfjs ops on the cpu backend (`depthwiseConv2d`, `add`, `relu6`,
 * `x * sigmoid(x)` or `sigmoid`), on seeded calls: odd channel counts (the 16-, 4- and 1-wide paths), 1x1 to 5x5 filters,
 * strides 1-2, dilations 1-2, 'same', 'valid' and explicit padding, batches of 0-2, with and without bias,
 * NaN and +/-Infinity among the values; nothing may leak. Then the inputs it refuses.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { DEPTHWISE_CONV, type DepthwiseConvAttrs } from '@edet/tensor';

import { WasmKernelError, registerWasmKernels } from '../src/index.js';
import { type FuzzCase, type Outcome, differentialFailures, runCase, runOnWasm } from './support/differential.js';
import { FUSED_ACTIVATIONS_UNDER_TEST, composedActivation } from './support/fused-activations.js';
import { Chooser } from './support/fuzz-cases.js';

beforeAll(async () => {
  await tf.setBackend('wasm');
  registerWasmKernels();
});

function randomCase(seed: number): FuzzCase {
  const r = new Chooser(seed);
  const channels = r.pick([1, 3, 4, 5, 16, 17, 21, 36]);
  const k = r.pick([1, 2, 3, 5]);
  const shape = [r.pick([0, 1, 1, 2]), r.int(1, 9), r.int(1, 9), channels];
  const pad: DepthwiseConvAttrs['pad'] = r.pick<DepthwiseConvAttrs['pad']>(['same', 'valid', [[0, 0], [r.int(0, 2), r.int(0, 2)], [r.int(0, 2), r.int(0, 2)], [0, 0]]]);
  const stride = r.int(1, 2);
  // tfjs takes dilations above 1 only with stride 1.
  const dilation = stride === 1 ? r.int(1, 2) : 1;
  const attrs: DepthwiseConvAttrs = { strides: [stride, r.int(1, 2) === 1 || dilation > 1 ? stride : 1], dilations: [dilation, dilation], pad, activation: r.pick(FUSED_ACTIVATIONS_UNDER_TEST) };
  const special = r.pick([0, 0.05]);
  const inputs: FuzzCase['inputs'] = { x: r.tensor(shape, 'float32', special), filter: r.tensor([k, k, channels, 1], 'float32', special / 2) };
  if (r.chance(0.7)) inputs.bias = r.tensor([channels], 'float32', special / 2);
  return { label: `case ${seed}: x [${shape}] ${k}x${k} s${attrs.strides} d${dilation} ${JSON.stringify(pad)} ${attrs.activation}${'bias' in inputs ? ' bias' : ''}`, kernel: DEPTHWISE_CONV, inputs, attrs: attrs as unknown as Record<string, unknown> };
}

/** The kernel's math from tfjs ops (run on the cpu backend). */
function composed(c: FuzzCase): Outcome {
  try {
    return composedOutputs(c);
  } catch (error) {
    // e.g. 'valid' padding with a filter larger than the input: tfjs's cpu kernel throws too.
    return { error: error as Error };
  }
}

function composedOutputs(c: FuzzCase): Outcome {
  const attrs = c.attrs as unknown as DepthwiseConvAttrs;
  const inputs = c.inputs as Record<string, { values: number[]; shape: number[] }>;
  return runCase({
    ...c,
    kernel: 'Identity',
    inputs: {
      x: (() => {
        const y = tf.tidy(() => {
          const x = tf.tensor4d(inputs.x.values, inputs.x.shape as [number, number, number, number]);
          const filter = tf.tensor4d(inputs.filter.values, inputs.filter.shape as [number, number, number, number]);
          let out: tf.Tensor = tf.depthwiseConv2d(x, filter, attrs.strides, attrs.pad, 'NHWC', attrs.dilations);
          if (inputs.bias !== undefined) out = tf.add(out, tf.tensor1d(inputs.bias.values));
          return composedActivation(out, attrs.activation);
        });
        const data = { values: Array.from(y.dataSync()), shape: y.shape, dtype: 'float32' as const };
        y.dispose();
        return data;
      })(),
    },
    attrs: {},
  });
}

describe('EdetDepthwiseConv2d on wasm', () => {
  it('matches the composed ops on cpu over seeded calls and leaks nothing', async () => {
    const cases = Array.from({ length: 80 }, (_, i) => randomCase(i + 1));
    // Sums of up to 25 products in float32 against tfjs cpu's float64 sums: 1e-5 of max(1, |value|).
    expect(await differentialFailures(cases, 1e-5, composed)).toEqual([]);
  });

  it('takes the interior path (3x3 and 5x5, column stride 1-2, runs of 4 pixels and the pixels past them) with the same results', async () => {
    // Rows wide enough for whole groups of 4 interior outputs and a remainder on either side.
    const cases = Array.from({ length: 40 }, (_, i) => {
      const r = new Chooser(5000 + i);
      const channels = r.pick([3, 4, 7, 16, 19]);
      const k = r.pick([3, 5]);
      const shape = [r.pick([0, 1, 2]), r.int(5, 12), r.int(8, 27), channels];
      const pad: DepthwiseConvAttrs['pad'] = r.pick<DepthwiseConvAttrs['pad']>(['same', 'valid', [[0, 0], [r.int(0, 3), r.int(0, 3)], [r.int(0, 3), r.int(0, 3)], [0, 0]]]);
      const attrs: DepthwiseConvAttrs = { strides: [r.int(1, 2), r.int(1, 2)], dilations: [1, 1], pad, activation: r.pick(FUSED_ACTIVATIONS_UNDER_TEST) };
      const special = r.pick([0, 0.02]);
      const inputs: FuzzCase['inputs'] = { x: r.tensor(shape, 'float32', special), filter: r.tensor([k, k, channels, 1], 'float32', 0) };
      if (r.chance(0.7)) inputs.bias = r.tensor([channels], 'float32', 0);
      const label = `interior ${i}: x [${shape}] ${k}x${k} s${attrs.strides} ${JSON.stringify(pad)} ${attrs.activation}${'bias' in inputs ? ' bias' : ''}`;
      return { label, kernel: DEPTHWISE_CONV, inputs, attrs: attrs as unknown as Record<string, unknown> };
    });
    expect(await differentialFailures(cases, 1e-5, composed)).toEqual([]);
  });

  it('computes an EfficientNet-sized 5x5 stride-2 swish layer (every width path, padding on all sides)', async () => {
    const c = randomCase(1000);
    const r = new Chooser(7);
    const shape = [1, 33, 31, 100];
    c.inputs = { x: r.tensor(shape, 'float32', 0), filter: r.tensor([5, 5, 100, 1], 'float32', 0), bias: r.tensor([100], 'float32', 0) };
    c.attrs = { strides: [2, 2], dilations: [1, 1], pad: 'same', activation: 'swish' };
    c.label = 'x [1,33,31,100] 5x5 s2 same swish bias';
    expect(await differentialFailures([c], 1e-5, composed)).toEqual([]);
  });

  it('sums each output over its taps in (p, q) order from the first inside the input: the bits of a float32 reference, edges and interior alike', () => {
    // Heights of 1-7 put most rows at the top or bottom edge, where a 3x3 or 5x5 filter's first or last
    // tap rows fall in the padding; widths of 9-14 give the interior runs of 4 pixels and the edge pixels.
    for (let i = 0; i < 24; i++) {
      const r = new Chooser(9000 + i);
      const [k, stride] = r.pick([[3, 1], [3, 2], [5, 1], [5, 2]] as const);
      const [n, height, width, channels] = [r.int(1, 2), r.int(1, 7), r.int(9, 14), r.pick([4, 7, 16, 20])];
      const [top, bottom, left, right] = [r.int(0, k - 1), r.int(0, k - 1), r.int(0, k - 1), r.int(0, k - 1)];
      const x = Float32Array.from(r.tensor([n, height, width, channels], 'float32', 0).values);
      const filter = Float32Array.from(r.tensor([k, k, channels, 1], 'float32', 0).values);
      const bias = Float32Array.from(r.tensor([channels], 'float32', 0).values);
      const outHeight = Math.floor((height + top + bottom - k) / stride) + 1;
      const outWidth = Math.floor((width + left + right - k) / stride) + 1;
      const want = new Float32Array(Math.max(0, n * outHeight * outWidth * channels));
      let at = 0;
      for (let b = 0; b < n; b++) {
        for (let oy = 0; oy < outHeight; oy++) {
          for (let ox = 0; ox < outWidth; ox++) {
            for (let c = 0; c < channels; c++) {
              let sum = 0;
              for (let p = 0; p < k; p++) {
                const iy = oy * stride - top + p;
                if (iy < 0 || iy >= height) continue;
                for (let q = 0; q < k; q++) {
                  const ix = ox * stride - left + q;
                  if (ix < 0 || ix >= width) continue;
                  sum = Math.fround(sum + Math.fround(x[((b * height + iy) * width + ix) * channels + c] * filter[(p * k + q) * channels + c]));
                }
              }
              want[at++] = Math.fround(sum + bias[c]);
            }
          }
        }
      }
      const attrs = { strides: [stride, stride], dilations: [1, 1], pad: [[0, 0], [top, bottom], [left, right], [0, 0]], activation: 'linear' };
      const got = tf.tidy(() => {
        const inputs = { x: tf.tensor4d(x, [n, height, width, channels]), filter: tf.tensor4d(filter, [k, k, channels, 1]), bias: tf.tensor1d(bias) };
        return (tf.engine().runKernel(DEPTHWISE_CONV, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor).dataSync();
      });
      expect(Array.from(got), `case ${i}: x [${n},${height},${width},${channels}] ${k}x${k} s${stride} pad ${[top, bottom, left, right]}`).toEqual(Array.from(want));
    }
  });

  it.each<[string, Partial<FuzzCase>, RegExp]>([
    ['an int32 x', { inputs: { x: { values: [1, 2, 3, 4], shape: [1, 2, 2, 1], dtype: 'int32' }, filter: { values: [1], shape: [1, 1, 1, 1], dtype: 'float32' } } }, /x must be float32/],
    ['a filter of another channel count', { inputs: { x: { values: [1, 2, 3, 4], shape: [1, 2, 2, 1], dtype: 'float32' }, filter: { values: [1, 2], shape: [1, 1, 2, 1], dtype: 'float32' } } }, /filter must be \[kh, kw, 1, 1\]/],
    ['a channel multiplier of 2', { inputs: { x: { values: [1, 2, 3, 4], shape: [1, 2, 2, 1], dtype: 'float32' }, filter: { values: [1, 2], shape: [1, 1, 1, 2], dtype: 'float32' } } }, /filter must be/],
    ['a bias of another length', { inputs: { x: { values: [1, 2, 3, 4], shape: [1, 2, 2, 1], dtype: 'float32' }, filter: { values: [1], shape: [1, 1, 1, 1], dtype: 'float32' }, bias: { values: [1, 2], shape: [2], dtype: 'float32' } } }, /bias must be \[1\]/],
    ['an unknown activation', { attrs: { strides: [1, 1], dilations: [1, 1], pad: 'same', activation: 'gelu' } }, /activation must be one of linear, relu6, swish, sigmoid/],
  ])('refuses %s with a WasmKernelError and leaks nothing', (_, change, message) => {
    const base: FuzzCase = {
      label: 'bad',
      kernel: DEPTHWISE_CONV,
      inputs: { x: { values: [1, 2, 3, 4], shape: [1, 2, 2, 1], dtype: 'float32' }, filter: { values: [1], shape: [1, 1, 1, 1], dtype: 'float32' } },
      attrs: { strides: [1, 1], dilations: [1, 1], pad: 'same', activation: 'linear' },
    };
    const { outcome, leakedTensors, leakedDataIds } = runOnWasm({ ...base, ...change });
    expect('error' in outcome && outcome.error).toBeInstanceOf(WasmKernelError);
    expect('error' in outcome && outcome.error.message).toMatch(message);
    expect([leakedTensors, leakedDataIds]).toEqual([0, 0]);
  });
});
