/**
 * `EdetMaxArgMax` (the maximum over the last axis and its index, one pass) against tfjs's cpu `Max` and
 * `ArgMax`, which are its contract: exact values (the sign of a zero maximum included), NaN as cpu treats
 * it, +/-Infinity, ties, every column of a group of 4 and the left-over ones, size-0 and size-1 axes, and
 * seeded random calls; nothing may leak on wasm, also when a call is refused. Then `maxArgMax` of
 * @edet/tensor, which runs the kernel where it is registered and composes the two tfjs ops elsewhere.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { InvalidArgumentError, MAX_ARG_MAX, maxArgMax } from '@edet/tensor';

import { WasmKernelError, isEdetKernel, registerWasmKernels } from '../src/index.js';
import { type FuzzCase, type FuzzInput, type Outcome, differentialFailures, wasmDataIds } from './support/differential.js';
import { Chooser } from './support/fuzz-cases.js';

beforeAll(async () => {
  await tf.setBackend('wasm');
  registerWasmKernels();
});

/** tfjs's cpu kernels on the case's input (the cpu backend is active when the differential runs this). */
function cpuReference(c: FuzzCase): Outcome {
  const input = (c.inputs as Record<string, FuzzInput>).x;
  return tf.tidy(() => {
    const x = tf.tensor(input.values, input.shape, input.dtype);
    const outputs = [tf.max(x, -1), tf.argMax(x, -1)];
    return { outputs: outputs.map((t) => ({ values: Array.from(t.dataSync()), shape: t.shape, dtype: t.dtype as FuzzInput['dtype'] })) };
  });
}

function kernelCase(label: string, values: number[], shape: number[]): FuzzCase {
  return { label, kernel: MAX_ARG_MAX, inputs: { x: { values, shape, dtype: 'float32' } }, attrs: {} };
}

/** Rows of `columns` values, as one `[rows, columns]` case. */
function rowsCase(label: string, rows: number[][]): FuzzCase {
  return kernelCase(label, rows.flat(), [rows.length, rows[0].length]);
}

/** A row of `columns` zeros with `entries` set (index -> value). */
function row(columns: number, entries: Record<number, number>): number[] {
  return Array.from({ length: columns }, (_, i) => entries[i] ?? 0);
}

/** Exact agreement with cpu (tolerance 0) and no leak. */
async function expectAsCpu(cases: FuzzCase[]): Promise<void> {
  expect(await differentialFailures(cases, 0, cpuReference)).toEqual([]);
}

/** The kernel's two outputs on wasm, as plain arrays. */
function onWasm(values: number[], shape: number[]): { max: number[]; argMax: number[] } {
  return tf.tidy(() => {
    const [max, argMax] = tf.engine().runKernel(MAX_ARG_MAX, { x: tf.tensor(values, shape) }) as tf.Tensor[];
    return { max: Array.from(max.dataSync()), argMax: Array.from(argMax.dataSync()) };
  });
}

describe('EdetMaxArgMax on wasm, exactly as cpu’s Max and ArgMax', () => {
  it('is registered by registerWasmKernels', () => {
    expect(isEdetKernel(MAX_ARG_MAX, 'wasm')).toBe(true);
  });

  it('finds the maximum in every column of the groups of 4 and of the left-over columns', async () => {
    const cases: FuzzCase[] = [];
    for (const columns of [1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 21, 35, 90]) {
      // One row per position of the maximum, on a background of smaller values of both signs.
      const rows = Array.from({ length: columns }, (_, at) => Array.from({ length: columns }, (_, i) => (i === at ? 5 : ((i * 7) % 5) - 2.5)));
      cases.push(rowsCase(`${columns} columns`, rows));
    }
    await expectAsCpu(cases);
    // An independent check of the positions, not only agreement with cpu.
    const columns = 9;
    const { max, argMax } = onWasm(Array.from({ length: columns * columns }, (_, k) => (k % columns === Math.floor(k / columns) ? 5 : -1)), [columns, columns]);
    expect(argMax).toEqual(Array.from({ length: columns }, (_, i) => i));
    expect(max).toEqual(new Array(columns).fill(5));
  });

  it('gives the first of equal maxima, also across lanes, groups and the left-over columns', async () => {
    await expectAsCpu([
      rowsCase('ties', [
        row(9, { 1: 3, 2: 3 }),
        row(9, { 3: 3, 4: 3 }),
        row(9, { 6: 3, 1: 3 }),
        row(9, { 8: 3, 7: 3 }),
        row(9, { 8: 3, 0: 3 }),
        row(9, {}),
        row(9, { 5: 1, 6: 1, 7: 1, 8: 1 }),
      ]),
    ]);
    expect(onWasm([0, 2, 2, 0, 0, 0, 2, 0, 2], [9]).argMax).toEqual([1]);
    expect(onWasm([-1, -1, -1, -1, -1, -1, -1, -1, -1], [9]).argMax).toEqual([0]);
  });

  it('keeps the first zero’s sign when the maximum is zero, as cpu does', async () => {
    const zeros = [-0, 0, 0, 0, 0, -0, -0, -0, -1, -0, -1, -1, -1, -1, -1, 0];
    const { max, argMax } = onWasm(zeros, [4, 4]);
    expect(argMax).toEqual([0, 0, 1, 3]);
    const signs = max.map((value) => Object.is(value, -0));
    expect(signs).toEqual([true, false, true, false]);
    await tf.setBackend('cpu');
    try {
      const cpu = tf.tidy(() => Array.from(tf.max(tf.tensor2d(zeros, [4, 4]), -1).dataSync()));
      expect(cpu.map((value) => Object.is(value, -0))).toEqual(signs);
    } finally {
      await tf.setBackend('wasm');
    }
  });

  it('treats NaN and +/-Infinity as cpu does', async () => {
    const nan = Number.NaN;
    await expectAsCpu([
      rowsCase('NaN, 9 columns', [
        row(9, { 0: nan, 3: 2 }),
        row(9, { 1: nan, 3: 2 }),
        row(9, { 3: 2, 5: nan }),
        row(9, { 8: nan }),
        row(9, { 0: -1, 1: -1, 2: -1, 3: -1, 4: -1, 5: -1, 6: -1, 7: -1, 8: nan }),
        new Array(9).fill(nan),
        row(9, { 2: Infinity, 4: Infinity }),
        row(9, { 0: -Infinity, 1: nan, 2: -Infinity, 3: -Infinity, 4: -Infinity, 5: -Infinity, 6: -Infinity, 7: -Infinity, 8: -Infinity }),
        new Array(9).fill(-Infinity),
        row(9, { 0: nan, 1: Infinity }),
      ]),
      // 90 columns: a NaN in each of the four accumulators' groups, in the quads after the last group of
      // 16 and in the two left-over columns, with the maximum before, after or nowhere near it.
      rowsCase(
        'NaN, 90 columns',
        [0, 5, 17, 30, 63, 81, 86, 88, 89].flatMap((at) => [
          row(90, { [at]: nan }),
          row(90, { [at]: nan, [(at + 7) % 90]: 3 }),
          row(90, { [at]: nan, [(at + 83) % 90]: -3, 40: 2 }),
        ]),
      ),
      rowsCase('NaN, 3 columns', [
        [nan, 1, 2],
        [1, nan, 2],
        [2, 1, nan],
        [-Infinity, -Infinity, -Infinity],
        [-Infinity, nan, -Infinity],
      ]),
    ]);
    // cpu's rules, spelled out: a NaN makes the maximum NaN; the index passes over NaN unless it comes first.
    const { max, argMax } = onWasm([nan, 1, 2, 1, nan, 2, -Infinity, -Infinity, -Infinity], [3, 3]);
    expect(max.map(Number.isNaN)).toEqual([true, true, false]);
    expect(max[2]).toBe(-Infinity);
    expect(argMax).toEqual([0, 2, 0]);
  });

  it('takes size-0 and size-1 axes and any rank >= 1', async () => {
    await expectAsCpu([
      kernelCase('[5]', [3, 1, 4, 1, 5], [5]),
      kernelCase('[1]', [-2], [1]),
      kernelCase('[1, 1]', [7], [1, 1]),
      kernelCase('[3, 1]', [1, Number.NaN, -Infinity], [3, 1]),
      kernelCase('[0]', [], [0]),
      kernelCase('[0, 5]', [], [0, 5]),
      kernelCase('[3, 0]', [], [3, 0]),
      kernelCase('[2, 0, 90]', [], [2, 0, 90]),
      kernelCase('[2, 3, 0]', [], [2, 3, 0]),
      kernelCase('[2, 3, 1, 5]', Array.from({ length: 30 }, (_, i) => Math.sin(i)), [2, 3, 1, 5]),
    ]);
  });

  it('agrees with cpu on seeded random calls: shapes, ties, NaN, infinities', async () => {
    const cases: FuzzCase[] = [];
    const count = Number(process.env.EDET_FUZZ_COUNT ?? 60);
    for (let n = 0; n < count; n++) {
      const r = new Chooser(Number(process.env.EDET_FUZZ_SEED ?? 71) + n);
      const shape = [...r.shape(r.int(0, 3), 6), r.chance(0.1) ? 0 : r.int(1, 40)];
      // A few distinct values make ties common; specials at varying rates.
      const levels = r.int(1, 6);
      const input = r.tensor(shape, 'float32', r.pick([0, 0.02, 0.2]));
      input.values = input.values.map((v) => (Number.isFinite(v) && r.chance(0.7) ? Math.floor((v + 2) * (levels / 4)) - 1 : v));
      cases.push(kernelCase(`#${n} [${shape}]`, input.values, shape));
    }
    await expectAsCpu(cases);
  });

  it.each([
    ['int32 x', () => tf.zeros([2, 3], 'int32'), /x must be float32, got int32/],
    ['bool x', () => tf.zeros([2, 3], 'bool'), /x must be float32, got bool/],
    ['a scalar x', () => tf.scalar(1), /x must have rank >= 1/],
  ] as const)('refuses %s with a WasmKernelError and leaks nothing', (_, make, message) => {
    const x = make();
    const before = { tensors: tf.memory().numTensors, dataIds: wasmDataIds() };
    expect(() => tf.engine().runKernel(MAX_ARG_MAX, { x })).toThrow(WasmKernelError);
    expect(() => tf.engine().runKernel(MAX_ARG_MAX, { x })).toThrow(message);
    expect({ tensors: tf.memory().numTensors, dataIds: wasmDataIds() }).toEqual(before);
    x.dispose();
  });
});

describe('maxArgMax of @edet/tensor', () => {
  const values = [0.1, 0.9, 0.9, Number.NaN, 0.2, 0.3, -Infinity, -Infinity, 0.5, 0.5, 0.5, 0.1];

  async function on(backend: 'wasm' | 'cpu', make: () => tf.Tensor): Promise<{ max: number[]; argMax: number[]; dtypes: string[]; shape: number[] }> {
    await tf.setBackend(backend);
    try {
      const x = make();
      const before = tf.memory().numTensors;
      const [max, argMax] = maxArgMax(x);
      const result = { max: Array.from(await max.data()), argMax: Array.from(await argMax.data()), dtypes: [max.dtype, argMax.dtype], shape: max.shape };
      tf.dispose([max, argMax]);
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
      return result;
    } finally {
      await tf.setBackend('wasm');
    }
  }

  it('gives the same on wasm (the kernel) as on cpu (tf.max and tf.argMax), the inputs kept', async () => {
    const make = () => tf.tensor3d(values, [2, 2, 3]);
    const wasm = await on('wasm', make);
    expect(wasm).toEqual(await on('cpu', make));
    expect(wasm.shape).toEqual([2, 2]);
    expect(wasm.dtypes).toEqual(['float32', 'int32']);
    expect(wasm.argMax).toEqual([1, 0, 2, 0]);
  });

  it('composes tfjs ops for what the kernel does not take (int32), with their dtypes', async () => {
    const make = () => tf.tensor2d([1, 5, 5, -2, 0, -1], [2, 3], 'int32');
    const wasm = await on('wasm', make);
    expect(wasm).toEqual({ max: [5, 0], argMax: [1, 1], dtypes: ['int32', 'int32'], shape: [2] });
  });

  it('rejects what is not a tensor of rank >= 1, naming x', () => {
    const scalar = tf.scalar(1);
    expect(() => maxArgMax(scalar)).toThrow(InvalidArgumentError);
    expect(() => maxArgMax(scalar)).toThrow('x: expected a tensor of rank >= 1 ([..., C]), got []');
    expect(() => maxArgMax([1, 2] as never)).toThrow(/x: expected a tf.Tensor/);
    scalar.dispose();
  });
});
