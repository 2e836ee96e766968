import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

import { relativeTolerance } from '../../../../tooling/test/tolerance.js';

/** The values of `tensor` as plain numbers; disposes it. */
export function values(tensor: tf.Tensor): number[] {
  const out = Array.from(tensor.dataSync());
  tensor.dispose();
  return out;
}

/**
 * Asserts `|actual - expected| <= atol + rtol |expected|` element-wise, naming the first index that fails.
 * `rtol` applies as given on cpu and wasm; in browser runs on WebGL or WebGPU it is at least 1e-3.
 */
export function expectClose(actual: readonly number[], expected: readonly number[], rtol: number, atol = 0): void {
  expect(actual.length).toBe(expected.length);
  const relative = relativeTolerance(rtol, tf.getBackend());
  for (let i = 0; i < actual.length; i++) {
    const bound = atol + relative * Math.abs(expected[i]);
    if (!(Math.abs(actual[i] - expected[i]) <= bound)) {
      expect.fail(`index ${i}: got ${actual[i]}, expected ${expected[i]} (within ${bound})`);
    }
  }
}

/** Asserts every value is finite (no NaN, no ±Infinity). */
export function expectFinite(actual: readonly number[]): void {
  const bad = actual.findIndex((value) => !Number.isFinite(value));
  if (bad >= 0) expect.fail(`index ${bad} is ${actual[bad]}`);
}

/** Runs `body` and asserts it leaves `tf.memory().numTensors` as it found it. */
export function expectNoLeak(body: () => void): void {
  const before = tf.memory().numTensors;
  body();
  expect(tf.memory().numTensors).toBe(before);
}
