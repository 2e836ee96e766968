/**
 * Shared by the `kernels-*.test.ts` files: runs a kernel on the wasm backend (with the training kernels
 * registered) and the same kernel on the cpu backend (the reference), on identical seeded inputs, and
 * compares the results element by element.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

import { rng } from '../../tensor/test/gradients-check.js';

/** A kernel invocation: inputs as plain data so they can be built on either backend. */
export interface KernelCase {
  label: string;
  kernel: string;
  inputs: Record<string, { values: Float32Array | Int32Array; shape: number[]; dtype?: 'float32' | 'int32' }>;
  attrs: Record<string, unknown>;
}

/** Seeded uniform values in [-1, 1). */
export function randomValues(shape: number[], seed: number): { values: Float32Array; shape: number[] } {
  const next = rng(seed);
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < values.length; i++) values[i] = 2 * next() - 1;
  return { values, shape };
}

function runAll(cases: KernelCase[]): Float32Array[] {
  return cases.map((c) =>
    tf.tidy(() => {
      const inputs: tf.NamedTensorMap = {};
      for (const [name, input] of Object.entries(c.inputs)) inputs[name] = tf.tensor(input.values, input.shape, input.dtype ?? 'float32');
      const out = tf.engine().runKernel(c.kernel, inputs, c.attrs as tf.NamedAttrMap) as tf.Tensor;
      return new Float32Array(out.dataSync());
    }),
  );
}

/** Largest `|got - want| / max(1, |want|)` over the elements. */
export function maxRelativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i]));
    if (!(err <= worst)) worst = err; // NaN-safe: a NaN error becomes the worst.
  }
  return worst;
}

/**
 * Runs every case on wasm, then on cpu, and expects each result to match (same length, every element
 * within `tolerance` relative, 1 absolute near zero). The active backend is wasm again afterwards.
 */
export async function expectMatchesCpu(cases: KernelCase[], tolerance = 1e-4): Promise<void> {
  await tf.setBackend('wasm');
  const got = runAll(cases);
  await tf.setBackend('cpu');
  let want: Float32Array[];
  try {
    want = runAll(cases);
  } finally {
    await tf.setBackend('wasm');
  }
  const failures: string[] = [];
  cases.forEach((c, i) => {
    if (got[i].length !== want[i].length) {
      failures.push(`${c.label}: ${got[i].length} values, want ${want[i].length}`);
      return;
    }
    const err = maxRelativeError(got[i], want[i]);
    if (!(err <= tolerance)) failures.push(`${c.label}: max relative error ${err.toExponential(2)}`);
  });
  expect(failures).toEqual([]);
}
