/**
 * Differential fuzz of edet's own wasm kernels (EdetSwish / EdetSwishGrad, EdetBatchNormTrain /
 * EdetBatchNormTrainGrad, EdetSigmoidFocalLoss / EdetSigmoidFocalLossGrad, EdetAdamWUpdate) through the
 * ops that run them on wasm (`swish`, `fusedBatchNormTraining`, `sigmoidFocalLoss`, `AdamW`), against the
 * same ops composed of tfjs ops on the cpu backend: seeded shapes (empty and size-1 axes), NaN and
 * +/-Infinity values; values, NaN positions, dtypes and shapes must agree and nothing may leak on wasm.
 * Then every kernel called directly with inputs it does not take: a WasmKernelError, and no leak.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { sigmoidFocalLoss } from '@edet/losses';
import { AdamW, fusedBatchNormTraining, swish } from '@edet/tensor';

import { ADDED_KERNELS, WasmKernelError, registerWasmKernels } from '../src/index.js';
import { type FuzzInput, type Outcome, difference, wasmDataIds } from './support/differential.js';
import { Chooser } from './support/fuzz-cases.js';

beforeAll(async () => {
  await tf.setBackend('wasm');
  registerWasmKernels();
});

/** A call of an op: builds its inputs from plain data and returns its outputs (disposed by the caller). */
interface OpCase {
  label: string;
  run: () => tf.Tensor[];
}

function build(input: FuzzInput): tf.Tensor {
  return tf.tensor(input.values, input.shape, input.dtype);
}

function outcomeOf(c: OpCase): Outcome {
  try {
    return tf.tidy(() => ({
      outputs: c.run().map((t) => ({ values: Array.from(t.dataSync() as ArrayLike<number>), shape: t.shape, dtype: t.dtype as FuzzInput['dtype'] })),
    }));
  } catch (error) {
    return { error: error as Error };
  }
}

/** Fewer specials than the kernel fuzz: a batch statistic meets every value of its channel. */
function values(r: Chooser, shape: number[], special = 0.03): FuzzInput {
  return r.tensor(shape, 'float32', special);
}

function swishCase(r: Chooser, label: string): OpCase {
  const x = values(r, r.shape(r.int(1, 4), 5), 0.1);
  const dy = values(r, x.shape, 0.05);
  return { label, run: () => [swish(build(x)), tf.grad((t: tf.Tensor) => swish(t))(build(x), build(dy))] };
}

function batchNormCase(r: Chooser, label: string): OpCase {
  const shape = [r.pick([0, 1, 2]), r.int(1, 4), r.int(1, 4), r.int(1, 6)];
  const channels = shape[3];
  const x = values(r, shape);
  const dy = values(r, shape);
  const gamma = values(r, [channels], 0);
  const beta = values(r, [channels], 0);
  const activation = r.pick(['none', 'swish'] as const);
  return {
    label: `${label} ${activation}`,
    run: () => {
      const made: tf.Tensor[] = [];
      const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const { y, statistics } = fusedBatchNormTraining(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3, activation);
        made.push(statistics.mean, statistics.variance);
        return y;
      };
      const forward = f(build(x), build(gamma), build(beta));
      const grads = tf.grads(f)([build(x), build(gamma), build(beta)], build(dy));
      const stats = made.slice(0, 2).map((t) => tf.clone(t));
      tf.dispose(made);
      return [forward, ...stats, ...grads];
    },
  };
}

function focalLossCase(r: Chooser, label: string): OpCase {
  const shape = [r.pick([0, 1, 3]), r.int(1, 5)];
  const logits = values(r, shape, 0.1);
  // Infinite logits: the kernels give the loss's limits (a finite gradient), where the composed ops make
  // 0 x Infinity = NaN; saturated finite logits stand in for them here.
  logits.values = logits.values.map((v) => (Number.isFinite(v) || Number.isNaN(v) ? v : Math.sign(v) * 40));
  const targets = r.tensor(shape, 'bool');
  const weights = r.chance(0.4) ? values(r, [shape[0], r.pick([1, shape[1]])], 0) : undefined;
  const reduction = r.pick(['none', 'sum'] as const);
  const options = () => ({ reduction, gamma: r.pick([0, 1.5, 2]), alpha: 0.25, weights: weights && build(weights) });
  const chosen = options();
  const run = () => {
    const opts = { ...chosen, weights: weights && build(weights) };
    const t = tf.cast(build(targets), 'float32');
    const loss = sigmoidFocalLoss(build(logits), t, opts);
    const grad = tf.grad((l: tf.Tensor) => tf.sum(sigmoidFocalLoss(l, t, opts)))(build(logits));
    return [loss, grad];
  };
  return { label: `${label} ${reduction}${weights ? ' weighted' : ''}`, run };
}

function adamWCase(r: Chooser, label: string): OpCase {
  const shape = r.shape(r.int(1, 3), 5);
  const w = values(r, shape, 0.05);
  const g = [values(r, shape, 0.05), values(r, shape, 0.05)];
  const weightDecay = r.pick([0, 0.01]);
  return {
    label,
    run: () => {
      const variable = tf.variable(build(w), true, `fuzz-${label}-${tf.getBackend()}`);
      const optimizer = new AdamW({ learningRate: 0.1, weightDecay });
      const variables = new Map([['w', variable]]);
      for (const gradient of g) tf.tidy(() => optimizer.applyGradients(variables, { w: build(gradient) }));
      const result = tf.clone(variable);
      variable.dispose();
      optimizer.dispose?.();
      return [result];
    },
  };
}

function cases(seed: number, count: number): OpCase[] {
  const makers = { EdetSwish: swishCase, EdetBatchNormTrain: batchNormCase, EdetSigmoidFocalLoss: focalLossCase, EdetAdamWUpdate: adamWCase };
  const all: OpCase[] = [];
  for (const [name, make] of Object.entries(makers)) {
    for (let i = 0; i < count; i++) all.push(make(new Chooser(seed + 1000 * all.length), `${name} #${i}`));
  }
  return all;
}

describe("edet's own wasm kernels, through their ops, against the ops composed on cpu", () => {
  it('agree on seeded random calls and leak nothing', async () => {
    const all = cases(Number(process.env.EDET_FUZZ_SEED ?? 31), Number(process.env.EDET_FUZZ_COUNT ?? 20));
    await tf.setBackend('wasm');
    const got = all.map((c) => {
      const [tensors, dataIds] = [tf.memory().numTensors, wasmDataIds()];
      const outcome = outcomeOf(c);
      return { outcome, leaked: tf.memory().numTensors - tensors + wasmDataIds() - dataIds };
    });
    await tf.setBackend('cpu');
    const want = all.map(outcomeOf);
    await tf.setBackend('wasm');
    const failures = all.flatMap((c, i) => {
      const diff = difference(got[i].outcome, want[i], 1e-3);
      return [...(diff === null ? [] : [`${c.label}: ${diff}`]), ...(got[i].leaked === 0 ? [] : [`${c.label}: leaked ${got[i].leaked}`])];
    });
    expect(failures).toEqual([]);
  });
});

describe("edet's own wasm kernels given inputs they do not take", () => {
  const f = (shape: number[]) => tf.zeros(shape);
  const i = (shape: number[]) => tf.zeros(shape, 'int32');
  const focal = { alpha: 0.25, gamma: 2 };
  const adamW = { beta1: 0.9, beta2: 0.999, stepSize: 0.1, epsilon: 1e-7, decay: 0 };
  const bad: [string, () => tf.NamedTensorMap, Record<string, unknown>][] = [
    ['EdetSwish', () => ({ x: i([2, 3]) }), {}],
    ['EdetSwishGrad', () => ({ dy: f([2, 3]), x: f([3, 2]) }), {}],
    ['EdetBatchNormTrain', () => ({ x: f([1, 2, 2, 3]), gamma: f([2]), beta: f([3]) }), { eps: 1e-3, activation: 'none' }],
    ['EdetBatchNormTrain', () => ({ x: i([1, 2, 2, 3]), gamma: f([3]), beta: f([3]) }), { eps: 1e-3, activation: 'swish' }],
    ['EdetBatchNormTrainGrad', () => ({ dy: f([1, 2, 2, 2]), x: f([1, 2, 2, 3]), gamma: f([3]), beta: f([3]), mean: f([3]), invStd: f([3]) }), { activation: 'none' }],
    ['EdetSigmoidFocalLoss', () => ({ logits: f([2, 3]), targets: f([3, 2]) }), focal],
    ['EdetSigmoidFocalLoss', () => ({ logits: f([2, 3]), targets: f([2, 3]), weights: f([3, 3]) }), focal],
    ['EdetSigmoidFocalLossGrad', () => ({ dy: f([2, 2]), logits: f([2, 3]), targets: f([2, 3]) }), focal],
    ['EdetAdamWUpdate', () => ({ variable: f([4]), m: f([4]), v: f([4]), gradient: f([5]) }), adamW],
    ['EdetAdamWUpdate', () => ({ variable: f([4]), m: i([4]), v: f([4]), gradient: f([4]) }), adamW],
  ];

  it.each(bad.map(([kernel, inputs, attrs], n) => ({ label: `${kernel} #${n}`, kernel, inputs, attrs })))(
    '$label: a WasmKernelError, and no leak',
    ({ kernel, inputs, attrs }) => {
      expect(ADDED_KERNELS).toContain(kernel);
      const made = inputs();
      const before = { tensors: tf.memory().numTensors, dataIds: wasmDataIds() };
      expect(() => tf.engine().runKernel(kernel, made, attrs as tf.NamedAttrMap)).toThrow(WasmKernelError);
      expect({ tensors: tf.memory().numTensors, dataIds: wasmDataIds() }).toEqual(before);
      tf.dispose(Object.values(made));
    },
  );
});
