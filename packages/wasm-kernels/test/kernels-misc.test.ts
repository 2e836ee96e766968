/**
 * The wasm training kernels other than convolutions (MaxPoolGrad, UnsortedSegmentSum) against the cpu
 * backend, and the registration function's contract.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { WASM_KERNELS, registerWasmKernels } from '../src/index.js';
import { type KernelCase, expectMatchesCpu, randomValues } from './kernels-reference.js';

beforeAll(() => {
  registerWasmKernels();
});

describe('registerWasmKernels', () => {
  it('registers every kernel once and is idempotent', () => {
    for (const name of WASM_KERNELS) expect(tf.getKernel(name, 'wasm'), name).toBeDefined();
    expect(registerWasmKernels()).toEqual([]);
  });

  it('puts its kernels back after something replaced one', () => {
    const ours = tf.getKernel('MaxPoolGrad', 'wasm');
    tf.unregisterKernel('MaxPoolGrad', 'wasm');
    tf.registerKernel({ kernelName: 'MaxPoolGrad', backendName: 'wasm', kernelFunc: () => ({ dataId: {}, shape: [], dtype: 'float32' }) });
    expect(registerWasmKernels()).toEqual(['MaxPoolGrad']);
    expect(tf.getKernel('MaxPoolGrad', 'wasm')?.kernelFunc).toBe(ours?.kernelFunc);
  });
});

describe('MaxPoolGrad on wasm matches cpu', () => {
  type Pad = 'same' | 'valid' | tf.backend_util.ExplicitPadding;
  const explicit: Pad = [
    [0, 0],
    [1, 0],
    [2, 1],
    [0, 0],
  ];

  function poolCase(label: string, xShape: [number, number, number, number], size: number, stride: number, pad: Pad, seed: number, shift = 0): KernelCase {
    const info = tf.backend_util.computePool2DInfo(xShape, size, stride, 1, pad);
    const x = randomValues(xShape, seed);
    // Distinct-enough random values; `shift` moves them all below zero for the padding bug.
    for (let i = 0; i < x.values.length; i++) x.values[i] += shift;
    // The forward output, which the backend's own kernel reads (ours and the cpu's find the maxima from x).
    const output = tf.tidy(() => tf.maxPool(tf.tensor4d(x.values, xShape), size, stride, pad).dataSync() as Float32Array);
    return {
      label,
      kernel: 'MaxPoolGrad',
      inputs: { dy: randomValues(info.outShape, seed + 1), input: x, output: { values: output, shape: info.outShape } },
      attrs: { filterSize: size, strides: stride, pad },
    };
  }

  it('over sizes, strides and paddings', async () => {
    const cases: KernelCase[] = [];
    let seed = 100;
    for (const pad of ['same', 'valid', explicit] as Pad[]) {
      for (const [size, stride] of [
        [3, 2],
        [3, 1],
        [2, 2],
      ]) {
        for (const xShape of [
          [1, 7, 7, 3],
          [2, 8, 6, 8],
          [2, 9, 10, 40],
        ] as [number, number, number, number][]) {
          cases.push(poolCase(`${xShape} k${size} s${stride} ${String(pad)}`, xShape, size, stride, pad, (seed += 3)));
        }
      }
    }
    await expectMatchesCpu(cases);
  });

  it('ignores NaN, passes nothing from an all -Infinity window, and breaks ties to the first maximum', async () => {
    // 1 x 4 x 4 x 5 (one SIMD group and one leftover channel), 2x2 stride-2 windows.
    const x = randomValues([1, 4, 4, 5], 9);
    const set = (y: number, xx: number, c: number, v: number) => (x.values[(y * 4 + xx) * 5 + c] = v);
    for (const c of [0, 4]) {
      set(0, 0, c, NaN); // NaN beside finite values: ignored
      for (const [y, xx] of [[0, 2], [0, 3], [1, 2], [1, 3]]) set(y, xx, c, -Infinity); // all -Infinity
      for (const [y, xx] of [[2, 0], [2, 1], [3, 0], [3, 1]]) set(y, xx, c, 0.5); // a four-way tie
    }
    const info = tf.backend_util.computePool2DInfo([1, 4, 4, 5], 2, 2, 1, 'valid');
    await expectMatchesCpu([
      {
        label: 'nan, -inf, ties',
        kernel: 'MaxPoolGrad',
        inputs: { dy: randomValues(info.outShape, 3), input: x, output: randomValues(info.outShape, 4) },
        attrs: { filterSize: 2, strides: 2, pad: 'valid' },
      },
    ]);
  });

  it("routes the gradient to a real input when a 'same' window is all negative", async () => {
    const cases = [
      poolCase('negative same k3 s2', [2, 8, 8, 4], 3, 2, 'same', 1, -5),
      poolCase('negative same k3 s1', [1, 5, 6, 3], 3, 1, 'same', 2, -5),
    ];
    await expectMatchesCpu(cases);
    // The gradient is conserved: every dy lands on some input.
    const c = cases[0];
    const dx = tf.tidy(() =>
      tf.engine().runKernel(
        'MaxPoolGrad',
        {
          dy: tf.tensor(c.inputs.dy.values, c.inputs.dy.shape),
          input: tf.tensor(c.inputs.input.values, c.inputs.input.shape),
          output: tf.tensor(c.inputs.output.values, c.inputs.output.shape),
        },
        c.attrs as tf.NamedAttrMap,
      ) as tf.Tensor,
    );
    const total = (values: ArrayLike<number>) => Array.from(values).reduce((a, b) => a + b, 0);
    expect(total(dx.dataSync())).toBeCloseTo(total(c.inputs.dy.values), 4);
    dx.dispose();
  });
});

describe('UnsortedSegmentSum on wasm matches cpu', () => {
  it('sums rows into segments and drops out-of-range ids', async () => {
    const ids2 = new Int32Array([3, 0, 3, 1, 5, -1, 0]);
    const cases: KernelCase[] = [
      {
        label: 'rank 3',
        kernel: 'UnsortedSegmentSum',
        inputs: { x: randomValues([7, 3, 4], 1), segmentIds: { values: ids2, shape: [7], dtype: 'int32' } },
        attrs: { numSegments: 4 },
      },
      {
        label: 'rank 1',
        kernel: 'UnsortedSegmentSum',
        inputs: { x: randomValues([7], 2), segmentIds: { values: ids2, shape: [7], dtype: 'int32' } },
        attrs: { numSegments: 6 },
      },
    ];
    await expectMatchesCpu(cases);
  });

  it('is what the gather gradient uses', async () => {
    const grad = () =>
      tf.tidy(() => {
        const params = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]);
        const g = tf.grad((p: tf.Tensor) => tf.sum(tf.mul(tf.gather(p, [2, 0, 2]), tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]))));
        return Array.from(g(params).dataSync());
      });
    expect(grad()).toEqual([3, 4, 0, 0, 6, 8]);
  });
});

describe('Sum and Mean on wasm match cpu', () => {
  const shapes: [number[], number[]][] = [
    [[2, 8, 6, 40], [0, 1, 2]],
    [[2, 8, 6, 40], [1, 2]],
    [[2, 8, 6, 40], [0]],
    [[2, 8, 6, 40], [2]],
    [[3, 5, 7], [0]],
    [[3, 5, 7], [0, 1]],
    [[3, 5, 7], [1]],
    [[130, 9], [0]],
    // Handed to the backend's own kernel: innermost, split, every axis, narrow rows.
    [[2, 8, 6, 40], [3]],
    [[2, 8, 6, 40], [0, 2]],
    [[2, 8, 6, 40], [0, 1, 2, 3]],
    [[2, 8, 6, 3], [0, 1, 2]],
  ];

  it.each(['Sum', 'Mean'])('%s over contiguous and other axes, keepDims on and off', async (kernel) => {
    const cases: KernelCase[] = [];
    shapes.forEach(([shape, axes], i) => {
      for (const keepDims of [false, true]) {
        cases.push({ label: `${shape} axes ${axes} keep ${keepDims}`, kernel, inputs: { x: randomValues(shape, i) }, attrs: { axis: axes, keepDims } });
      }
    });
    cases.push({ label: 'negative axes', kernel, inputs: { x: randomValues([2, 4, 6], 50) }, attrs: { axis: [-2, -3], keepDims: false } });
    await expectMatchesCpu(cases);
  });

  it('Sum of int32 keeps its dtype', () => {
    const x = tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], [2, 2, 4], 'int32');
    const s = tf.sum(x, 0);
    expect(s.dtype).toBe('int32');
    expect(Array.from(s.dataSync())).toEqual([10, 12, 14, 16, 18, 20, 22, 24]);
    tf.dispose([x, s]);
  });
});

describe('Tile on wasm matches cpu', () => {
  it('over ranks, repeated and unrepeated axes and dtypes', async () => {
    const cases: [number[], number[], ('float32' | 'int32')?][] = [
      [[2, 4, 1, 5, 1, 3], [1, 1, 2, 1, 2, 1]],
      [[3, 1], [2, 5]],
      [[2, 3, 4], [1, 1, 1]],
      [[1], [4]],
      [[1, 1, 1, 8], [2, 3, 4, 1]],
      [[2, 3], [3, 2], 'int32'],
      [[2, 1, 3], [2, 4, 2]],
    ];
    await expectMatchesCpu(
      cases.map(([shape, reps, dtype = 'float32'], i): KernelCase => {
        const x = randomValues(shape, 70 + i);
        const values = dtype === 'int32' ? Int32Array.from(x.values, (v) => Math.round(v * 100)) : x.values;
        return { label: `${shape} x ${reps} ${dtype}`, kernel: 'Tile', inputs: { x: { values, shape, dtype } }, attrs: { reps } };
      }),
    );
  });

  it('tiles bool tensors and broadcasts through broadcastTo', () => {
    const b = tf.tile(tf.tensor2d([true, false], [1, 2], 'bool'), [3, 2]);
    expect(b.dtype).toBe('bool');
    expect(Array.from(b.dataSync())).toEqual([1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0]);
    const c = tf.broadcastTo(tf.tensor1d([1, 2, 3]), [2, 3]);
    expect(Array.from(c.dataSync())).toEqual([1, 2, 3, 1, 2, 3]);
    tf.dispose([b, c]);
  });
});
