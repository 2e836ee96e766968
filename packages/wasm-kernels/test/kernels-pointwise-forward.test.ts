/**
 * `EdetPointwiseConv2d` (the inference 1x1 convolution with bias and activation fused) on wasm against the
 * same math composed of tfjs ops on the cpu backend (`conv2d`, `add`, `relu6`, `x * sigmoid(x)` or `sigmoid`), on
 * seeded calls: row counts around the 4-row blocks, output channels around the 8- and 4-wide blocks, depths
 * from 0, batches of 0-2, with and without bias, with and without an input scale per image and channel
 * (applied to the filter, image by image) and a residual, NaN and +/-Infinity among the values; nothing may
 * leak. Then the inputs it refuses.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { POINTWISE_CONV } from '@edet/tensor';

import { WasmKernelError, registerWasmKernels, wasmKernelFeatures } from '../src/index.js';
import { type FuzzCase, type Outcome, differentialFailures, runCase, runOnWasm } from './support/differential.js';
import { FUSED_ACTIVATIONS_UNDER_TEST, composedActivation } from './support/fused-activations.js';
import { Chooser } from './support/fuzz-cases.js';

beforeAll(async () => {
  await tf.setBackend('wasm');
  registerWasmKernels();
});

function randomCase(seed: number): FuzzCase {
  const r = new Chooser(seed);
  const depth = r.pick([0, 1, 3, 4, 16, 37]);
  const out = r.pick([1, 3, 4, 5, 8, 9, 13, 16, 21]);
  const shape = [r.pick([0, 1, 1, 2]), r.int(1, 5), r.int(1, 5), depth];
  const special = r.pick([0, 0.05]);
  const inputs: FuzzCase['inputs'] = { x: r.tensor(shape, 'float32', special), filter: r.tensor([1, 1, depth, out], 'float32', special / 2) };
  if (r.chance(0.7)) inputs.bias = r.tensor([out], 'float32', special / 2);
  if (r.chance(0.4)) inputs.inputScale = r.tensor([shape[0], depth], 'float32', special / 2);
  if (r.chance(0.4)) inputs.residual = r.tensor([...shape.slice(0, 3), out], 'float32', special / 2);
  const activation = r.pick(FUSED_ACTIVATIONS_UNDER_TEST);
  const extras = ['bias', 'inputScale', 'residual'].filter((name) => name in inputs);
  return { label: `case ${seed}: x [${shape}] -> ${out} ${activation} ${extras.join(' ')}`, kernel: POINTWISE_CONV, inputs, attrs: { activation } };
}

/** The kernel's math from tfjs ops (run on the cpu backend). */
function composed(c: FuzzCase): Outcome {
  const inputs = c.inputs as Record<string, { values: number[]; shape: number[] }>;
  const y = tf.tidy(() => {
    let x = tf.tensor4d(inputs.x.values, inputs.x.shape as [number, number, number, number]);
    if (inputs.inputScale !== undefined) {
      const [n, depth] = inputs.inputScale.shape;
      x = tf.mul(x, tf.tensor4d(inputs.inputScale.values, [n, 1, 1, depth]));
    }
    const filter = tf.tensor4d(inputs.filter.values, inputs.filter.shape as [number, number, number, number]);
    let out: tf.Tensor = tf.conv2d(x, filter, 1, 'same');
    if (inputs.bias !== undefined) out = tf.add(out, tf.tensor1d(inputs.bias.values));
    out = composedActivation(out, c.attrs.activation);
    return inputs.residual === undefined ? out : tf.add(out, tf.tensor(inputs.residual.values, inputs.residual.shape));
  });
  const data = { values: Array.from(y.dataSync()), shape: y.shape, dtype: 'float32' as const };
  y.dispose();
  return runCase({ label: c.label, kernel: 'Identity', inputs: { x: data }, attrs: {} });
}

/** A 1x1 layer with bias and swish on seeded values (no special values): x `shape` to `out` channels. */
function swishLayer(seed: number, shape: number[], out: number): FuzzCase {
  const r = new Chooser(seed);
  const depth = shape[3];
  return {
    label: `x [${shape}] -> ${out} swish bias`,
    kernel: POINTWISE_CONV,
    inputs: { x: r.tensor(shape, 'float32', 0), filter: r.tensor([1, 1, depth, out], 'float32', 0), bias: r.tensor([out], 'float32', 0) },
    attrs: { activation: 'swish' },
  };
}

describe('EdetPointwiseConv2d on wasm', () => {
  it('matches the composed ops on cpu over seeded calls and leaks nothing', async () => {
    const cases = Array.from({ length: 120 }, (_, i) => randomCase(i + 1));
    expect(cases.filter((c) => 'inputScale' in c.inputs && 'residual' in c.inputs && (c.inputs as Record<string, { shape: number[] }>).x.shape[0] === 2).length).toBeGreaterThan(0);
    // Sums of up to 37 products in float32 against tfjs cpu's (the scale applied to the filter here, to the
    // input there: one more rounding per product): 1e-5 of max(1, |value|).
    expect(await differentialFailures(cases, 1e-5, composed)).toEqual([]);
  });

  it('scales each image by its own row of inputScale (one filter per image, not the first for all)', () => {
    const c: FuzzCase = {
      label: 'two images, scales 2 and -3',
      kernel: POINTWISE_CONV,
      inputs: {
        x: { values: [1, 1, 1, 1], shape: [2, 1, 1, 2], dtype: 'float32' },
        filter: { values: [1, 10], shape: [1, 1, 2, 1], dtype: 'float32' },
        inputScale: { values: [2, 0, 0, -3], shape: [2, 2], dtype: 'float32' },
        residual: { values: [0.5, 0.25], shape: [2, 1, 1, 1], dtype: 'float32' },
      },
      attrs: { activation: 'linear' },
    };
    // Image 0: 1 * 2 * 1 + 0 + 0.5; image 1: 0 + 1 * -3 * 10 + 0.25.
    expect(runCase(c)).toEqual({ outputs: [{ values: [2.5, -29.75], shape: [2, 1, 1, 1], dtype: 'float32' }] });
  });

  it('computes an EfficientDet-sized layer (every block path: 8, 4 and 1 wide, 4 rows and 1)', async () => {
    const c = swishLayer(11, [1, 9, 11, 144], 813);
    // 144 products: 1e-4.
    expect(await differentialFailures([c], 1e-4, composed)).toEqual([]);
  });

  it('runs relaxed SIMD only where the runtime has it: asked for elsewhere, it keeps the plain bytes', () => {
    const c = swishLayer(12, [1, 5, 7, 37], 21);
    const plain = runOnWasm(c).outcome;
    registerWasmKernels({ relaxedSimd: true });
    try {
      const features = wasmKernelFeatures();
      expect(features.relaxedSimd).toBe(features.relaxedSimdAvailable);
      // Node 20 without --experimental-wasm-relaxed-simd: not available, so the same program runs.
      if (!features.relaxedSimdAvailable) expect(runOnWasm(c).outcome).toEqual(plain);
    } finally {
      registerWasmKernels({ relaxedSimd: false });
    }
    expect(wasmKernelFeatures().relaxedSimd).toBe(false);
  });

  const x = { values: [1, 2, 3, 4], shape: [1, 2, 2, 1], dtype: 'float32' as const };
  it.each<[string, Partial<FuzzCase>, RegExp]>([
    ['an int32 filter', { inputs: { x, filter: { values: [1], shape: [1, 1, 1, 1], dtype: 'int32' } } }, /filter must be float32/],
    ['a 3x3 filter', { inputs: { x, filter: { values: Array(9).fill(1), shape: [3, 3, 1, 1], dtype: 'float32' } } }, /filter must be \[1, 1, 1, out\]/],
    ['a filter of another depth', { inputs: { x, filter: { values: [1, 2], shape: [1, 1, 2, 1], dtype: 'float32' } } }, /filter must be \[1, 1, 1, out\]/],
    ['a rank-3 x', { inputs: { x: { ...x, shape: [2, 2, 1] }, filter: { values: [1], shape: [1, 1, 1, 1], dtype: 'float32' } } }, /x must be \[N, H, W, in\]/],
    ['a bias of another length', { inputs: { x, filter: { values: [1], shape: [1, 1, 1, 1], dtype: 'float32' }, bias: { values: [1, 2], shape: [2], dtype: 'float32' } } }, /bias must be \[1\]/],
    ['an unknown activation', { attrs: { activation: 'gelu' } }, /activation must be one of linear, relu6, swish, sigmoid/],
    ['an inputScale of another shape', { inputs: { x, filter: { values: [1], shape: [1, 1, 1, 1], dtype: 'float32' }, inputScale: { values: [1, 2], shape: [1, 2], dtype: 'float32' } } }, /inputScale must be \[1, 1\]/],
    ['an int32 inputScale', { inputs: { x, filter: { values: [1], shape: [1, 1, 1, 1], dtype: 'float32' }, inputScale: { values: [1], shape: [1, 1], dtype: 'int32' } } }, /inputScale must be float32/],
    ['a residual of another shape', { inputs: { x, filter: { values: [1], shape: [1, 1, 1, 1], dtype: 'float32' }, residual: { values: [1, 2], shape: [1, 2, 1, 1], dtype: 'float32' } } }, /residual must be \[1, 2, 2, 1\]/],
  ])('refuses %s with a WasmKernelError and leaks nothing', (_, change, message) => {
    const base: FuzzCase = { label: 'bad', kernel: POINTWISE_CONV, inputs: { x, filter: { values: [1], shape: [1, 1, 1, 1], dtype: 'float32' } }, attrs: { activation: 'linear' } };
    const { outcome, leakedTensors, leakedDataIds } = runOnWasm({ ...base, ...change });
    expect('error' in outcome && outcome.error).toBeInstanceOf(WasmKernelError);
    expect('error' in outcome && outcome.error.message).toMatch(message);
    expect([leakedTensors, leakedDataIds]).toEqual([0, 0]);
  });
});
