/**
 * Relaxed SIMD asked for only after the kernels have run: their module was built without the relaxed
 * programs (sparing the start-up they cost), so the option changes nothing and `wasmKernelFeatures()` says
 * so. Turns on Node 20's `--experimental-wasm-relaxed-simd` first (vitest.config.ts runs this file in a process of its own).
 */
import v8 from 'node:v8';

import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, it } from 'vitest';

import { POINTWISE_CONV } from '@edet/tensor';

import { registerWasmKernels, wasmKernelFeatures } from '../src/index.js';
import { type WasmBackend, backendMemory } from '../src/wasm-backend.js';
import { simdKernels } from '../src/wasm/simd-module.js';
import { Chooser } from './support/fuzz-cases.js';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

beforeAll(async () => {
  await tf.setBackend('wasm');
  registerWasmKernels();
});

/** A 1x1 convolution with swish on seeded values, read back. */
function pointwise(): Float32Array {
  const r = new Chooser(4);
  const x = tf.tensor4d(r.tensor([1, 5, 7, 37], 'float32', 0).values as number[], [1, 5, 7, 37]);
  const filter = tf.tensor4d(r.tensor([1, 1, 37, 21], 'float32', 0).values as number[], [1, 1, 37, 21]);
  const y = tf.engine().runKernel(POINTWISE_CONV, { x, filter }, { activation: 'swish' }) as tf.Tensor;
  const values = Float32Array.from(y.dataSync());
  tf.dispose([x, filter, y]);
  return values;
}

it('asked for after the kernels first ran, keeps the plain path and says so', () => {
  const plain = pointwise();
  registerWasmKernels({ relaxedSimd: true });
  expect(wasmKernelFeatures()).toEqual({ relaxedSimd: false, relaxedSimdAvailable: true });
  const module = simdKernels(backendMemory(tf.backend() as unknown as WasmBackend));
  expect(module.pointwiseForwardRelaxed_swish, 'no relaxed programs in the module').toBeUndefined();
  expect(Buffer.from(pointwise().buffer).equals(Buffer.from(plain.buffer))).toBe(true);
  registerWasmKernels({ relaxedSimd: false });
});
