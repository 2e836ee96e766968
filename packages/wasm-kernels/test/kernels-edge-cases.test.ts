/**
 * The faults the differential fuzz found in edet's wasm kernels, one test each with the call that showed
 * it, against tfjs's cpu backend: values (NaN where cpu has NaN), dtypes, shapes, and no leak on wasm
 * (tensors and backend data ids), also on calls that throw. Gradients go through `tf.grad`, which runs
 * @edet/tensor's gradients and these kernels.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { fusedBatchNormTraining } from '@edet/tensor';

import { WasmKernelError, registerWasmKernels } from '../src/index.js';
import { freeOnThrow } from '../src/free-on-throw.js';
import { sameValue, wasmDataIds } from './support/differential.js';

beforeAll(async () => {
  await tf.setBackend('wasm');
  registerWasmKernels();
});

interface Result {
  values: number[];
  shape: number[];
  dtype: string;
}

/** `body` on one backend, as plain data (its tensors disposed). */
async function on(backend: 'wasm' | 'cpu', body: () => tf.Tensor): Promise<Result> {
  await tf.setBackend(backend);
  try {
    return tf.tidy(() => {
      const t = body();
      return { values: Array.from(t.dataSync() as ArrayLike<number>), shape: t.shape, dtype: t.dtype };
    });
  } finally {
    await tf.setBackend('wasm');
  }
}

/** Runs `body` on wasm (twice, to see a leak grow) and cpu; expects the same result and no leak on wasm. */
async function expectSameAsCpu(body: () => tf.Tensor, tolerance = 1e-5): Promise<Result> {
  const want = await on('cpu', body);
  await tf.setBackend('wasm');
  const [tensors, dataIds] = [tf.memory().numTensors, wasmDataIds()];
  const got = await on('wasm', body);
  await on('wasm', body);
  expect({ tensors: tf.memory().numTensors - tensors, dataIds: wasmDataIds() - dataIds }).toEqual({ tensors: 0, dataIds: 0 });
  expect({ shape: got.shape, dtype: got.dtype }).toEqual({ shape: want.shape, dtype: want.dtype });
  const differ = want.values.flatMap((w, i) => (sameValue(got.values[i], w, tolerance) ? [] : [`[${i}] ${got.values[i]} want ${w}`]));
  expect(differ).toEqual([]);
  return got;
}

/** Values 1..n scaled, with the given entries replaced (e.g. by Infinity). */
function values(n: number, replace: Record<number, number> = {}): number[] {
  return Array.from({ length: n }, (_, i) => replace[i] ?? ((i % 7) - 3) / 4);
}

describe('UnsortedSegmentSum', () => {
  it('with no segment ids gives numSegments rows of zeros (not uninitialised memory)', async () => {
    const got = await expectSameAsCpu(() => tf.unsortedSegmentSum(tf.zeros([0, 6]), tf.tensor1d([], 'int32'), 6));
    expect(got.values).toEqual(new Array(36).fill(0));
  });

  it('of int32 and bool x returns float32, as tfjs does', async () => {
    const ids = () => tf.tensor1d([2, 0, 2], 'int32');
    await expectSameAsCpu(() => tf.unsortedSegmentSum(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32'), ids(), 3));
    await expectSameAsCpu(() => tf.unsortedSegmentSum(tf.tensor1d([1, 0, 1], 'bool'), ids(), 3));
  });
});

describe('padding is skipped, not multiplied, where Infinity meets it', () => {
  // An infinite value whose window reaches into the padding: 0 x Inf would be NaN there.
  const x = () => tf.tensor4d(values(2 * 5 * 5 * 3), [2, 5, 5, 3]);
  const dyInf = () => tf.tensor4d(values(2 * 5 * 5 * 4, { 0: Infinity, 50: -Infinity }), [2, 5, 5, 4]);

  it('Conv2DBackpropFilter, "same"', async () => {
    await expectSameAsCpu(() => run('Conv2DBackpropFilter', { x: x(), dy: dyInf() }, { strides: 1, pad: 'same', filterShape: [3, 3, 3, 4] }));
    const dyStride2 = () => tf.tensor4d(values(2 * 3 * 3 * 4, { 0: Infinity }), [2, 3, 3, 4]);
    await expectSameAsCpu(() => run('Conv2DBackpropFilter', { x: x(), dy: dyStride2() }, { strides: 2, pad: 'same', filterShape: [3, 3, 3, 4] }));
  });

  it('DepthwiseConv2dNativeBackpropInput, "same"', async () => {
    const filter = () => tf.tensor4d(values(3 * 3 * 3, { 4: Infinity }), [3, 3, 3, 1]);
    const dy = () => tf.tensor4d(values(2 * 5 * 5 * 3), [2, 5, 5, 3]);
    const attrs = { strides: 1, dilations: 1, pad: 'same', inputShape: [2, 5, 5, 3] };
    await expectSameAsCpu(() => run('DepthwiseConv2dNativeBackpropInput', { dy: dy(), filter: filter() }, attrs));
  });

  it('the gradients of conv2d and depthwiseConv2d', async () => {
    const filter = () => tf.tensor4d(values(3 * 3 * 3 * 4, { 7: Infinity }), [3, 3, 3, 4]);
    const xInf = () => tf.tensor4d(values(2 * 5 * 5 * 3, { 0: Infinity, 74: -Infinity }), [2, 5, 5, 3]);
    const loss = (a: tf.Tensor, w: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, 1, 'same');
    await expectSameAsCpu(() => tf.grads(loss)([xInf(), tf.tensor4d(values(108), [3, 3, 3, 4])])[1]);
    await expectSameAsCpu(() => tf.grads(loss)([x(), filter()])[0]);
    const depthwise = (a: tf.Tensor, w: tf.Tensor) => tf.depthwiseConv2d(a as tf.Tensor4D, w as tf.Tensor4D, 1, 'same');
    const dwFilter = () => tf.tensor4d(values(27, { 4: -Infinity }), [3, 3, 3, 1]);
    await expectSameAsCpu(() => tf.grads(depthwise)([x(), dwFilter()])[0]);
    await expectSameAsCpu(() => tf.grads(depthwise)([xInf(), tf.tensor4d(values(27), [3, 3, 3, 1])])[1]);
  });
});

/** One kernel call through the engine. */
function run(kernel: string, inputs: tf.NamedTensorMap, attrs: Record<string, unknown>): tf.Tensor {
  return tf.engine().runKernel(kernel, inputs, { dataFormat: 'NHWC', ...attrs } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

describe('int32 inputs of the conv backward kernels', () => {
  it('Conv2DBackpropInput gives tfjs’s float32 result and leaks nothing', async () => {
    const dy = () => tf.tensor4d(values(1 * 4 * 4 * 2).map((v) => Math.round(4 * v)), [1, 4, 4, 2], 'int32');
    const filter = () => tf.tensor4d(values(3 * 3 * 3 * 2).map((v) => Math.round(4 * v)), [3, 3, 3, 2], 'int32');
    await expectSameAsCpu(() => run('Conv2DBackpropInput', { dy: dy(), filter: filter() }, { strides: 1, pad: 'same', inputShape: [1, 4, 4, 3] }));
  });
});

describe('Sum and Mean', () => {
  it('a mean over an empty axis is 0, as tfjs gives', async () => {
    const got = await expectSameAsCpu(() => tf.mean(tf.zeros([0, 3, 2, 4]), [0, 1, 2]));
    expect(got.values).toEqual([0, 0, 0, 0]);
    await expectSameAsCpu(() => tf.mean(tf.zeros([3, 0, 5]), 1));
  });

  it('of int32 and bool tensors, and of empty ones, as on cpu', async () => {
    const ints = () => tf.tensor3d([1, -2, 3, 4, 5, -6, 7, 8, 9, 10, 11, 12], [2, 3, 2], 'int32');
    await expectSameAsCpu(() => tf.sum(ints(), [0, 1]));
    await expectSameAsCpu(() => tf.sum(ints(), 1, true));
    await expectSameAsCpu(() => tf.mean(ints(), [0, 2]));
    await expectSameAsCpu(() => tf.sum(tf.tensor2d([1, 0, 1, 1], [2, 2], 'bool'), 0));
    await expectSameAsCpu(() => tf.sum(tf.zeros([2, 0, 3]), 1));
    await expectSameAsCpu(() => tf.sum(tf.zeros([0, 3], 'int32')));
  });
});

describe('gradients that reach these kernels', () => {
  it('tile with a zero rep: zeros for x (an empty reduction)', async () => {
    const got = await expectSameAsCpu(() => tf.grad((x: tf.Tensor) => tf.tile(x, [0, 2]))(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3])));
    expect(got.values).toEqual(new Array(6).fill(0));
  });

  it('max-pool over windows of -Infinity: the same on cpu and wasm, as tfjs cpu MaxPoolGrad', async () => {
    const x = () => tf.tensor4d([-Infinity, -Infinity, 1, -Infinity, -Infinity, -Infinity, NaN, -Infinity, 2, 0, -Infinity, -Infinity, -Infinity, -Infinity, -Infinity, -Infinity], [1, 4, 4, 1]);
    for (const [size, stride, pad] of [[2, 2, 'valid'], [3, 1, 'same'], [2, 1, 'same']] as const) {
      await expectSameAsCpu(() => tf.grad((t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, size, stride, pad))(x()));
    }
  });
});

describe("edet's own kernels at the edges", () => {
  it('the gradients of sum and mean of an empty tensor have its shape', async () => {
    const got = await expectSameAsCpu(() => tf.grad((x: tf.Tensor) => tf.sum(x, 1))(tf.zeros([0, 1])));
    expect(got.shape).toEqual([0, 1]);
    await expectSameAsCpu(() => tf.grad((x: tf.Tensor) => tf.mean(x, [0, 2]))(tf.zeros([0, 3, 1])));
  });

  it('batch norm over an empty batch: mean and variance 0, as the composed ops give', async () => {
    for (const pick of ['mean', 'variance'] as const) {
      await expectSameAsCpu(() => {
        const { y, statistics } = fusedBatchNormTraining(tf.zeros([0, 2, 2, 3]), tf.ones([3]), tf.zeros([3]), 1e-3, 'swish');
        // The statistics are kept tensors (they outlive tidy): a copy goes back, the originals are freed.
        const picked = tf.clone(statistics[pick]);
        tf.dispose([y, statistics.mean, statistics.variance]);
        return picked;
      });
    }
  });

  it('AdamW without decay keeps an infinite weight infinite (no 0 x Infinity)', () => {
    const [w] = tf.engine().runKernel(
      'EdetAdamWUpdate',
      { variable: tf.tensor1d([Infinity, -Infinity, 1]), m: tf.zeros([3]), v: tf.zeros([3]), gradient: tf.tensor1d([1, 1, 1]) },
      { beta1: 0.9, beta2: 0.999, stepSize: 0.1, epsilon: 1e-7, decay: 0 } as unknown as tf.NamedAttrMap,
    ) as tf.Tensor[];
    const values = Array.from(w.dataSync());
    expect(values.slice(0, 2)).toEqual([Infinity, -Infinity]);
    expect(values[2]).toBeCloseTo(1 - (0.1 * 0.1) / (Math.sqrt(0.001) + 1e-7), 5);
  });
});

describe('error paths free what they allocated', () => {
  it('a kernel that throws after allocating leaks no heap memory', () => {
    const backend = tf.backend();
    const before = wasmDataIds();
    const failing = freeOnThrow(({ backend: b }) => {
      (b as unknown as { makeOutput(s: number[], d: string): tf.TensorInfo }).makeOutput([1000], 'float32');
      throw new WasmKernelError('after allocating');
    });
    expect(() => failing({ inputs: {}, attrs: {}, backend })).toThrow(WasmKernelError);
    expect(wasmDataIds()).toBe(before);
  });

  it('kernels given a string tensor throw a WasmKernelError naming it, without leaking', () => {
    const before = { tensors: tf.memory().numTensors, dataIds: wasmDataIds() };
    const bad = tf.tensor4d([[[['a']]]] as unknown as number[][][][], [1, 1, 1, 1], 'string' as 'float32');
    for (const [kernel, inputs] of [
      ['UnsortedSegmentSum', { x: bad, segmentIds: tf.tensor1d([0], 'int32') }],
      ['Conv2DBackpropInput', { dy: bad, filter: tf.ones([1, 1, 1, 1]) }],
      ['Sum', { x: bad }],
      ['Mean', { x: bad }],
      ['DepthwiseConv2dNativeBackpropFilter', { x: bad, dy: tf.ones([1, 1, 1, 1]) }],
      ['EdetMaxArgMax', { x: bad }],
    ] as const) {
      // The attributes of all of them at once: each kernel reads its own.
      const attrs = { numSegments: 1, strides: 1, dilations: 1, pad: 'valid', inputShape: [1, 1, 1, 1], filterShape: [1, 1, 1, 1], axis: 0, keepDims: false };
      const call = () => tf.engine().runKernel(kernel, inputs as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap);
      expect(call, kernel).toThrow(WasmKernelError);
      expect(call, kernel).toThrow(/string/);
      tf.dispose(Object.values(inputs).filter((t) => t !== bad) as tf.Tensor[]);
    }
    bad.dispose();
    expect({ tensors: tf.memory().numTensors, dataIds: wasmDataIds() }).toEqual(before);
  });
});
