import * as tf from '@tensorflow/tfjs-core';

import { ALL_FINITE } from '@edet/tensor';

import { checkFloat32 } from './float32-check.js';
import { type KernelArgs, allocate, floatView, pointer, release, simd, wasmKernelConfig } from './wasm-backend.js';

/**
 * `EdetAllFinite` for the wasm backend: one SIMD pass summing `x * 0` (`finiteSum`), which stays 0 exactly
 * when every value is finite, instead of tfjs's `IsFinite` (a bool per value) and `All`. On the calling
 * thread: a memory-bound pass over an image batch. Output: a bool scalar.
 */
function allFiniteKernel({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const { x } = inputs;
  checkFloat32(ALL_FINITE, inputs);
  const count = tf.util.sizeFromShape(x.shape);
  const sums = allocate(backend, [5], true);
  if (count > 0) simd(backend).finiteSum(pointer(backend, x), count, pointer(backend, sums));
  const finite = floatView(backend, sums).every((sum) => sum === 0);
  release(backend, sums);
  const out = backend.makeOutput([], 'bool');
  backend.wasm.HEAPU8[pointer(backend, out)] = finite ? 1 : 0;
  return out;
}

export const allFiniteConfig = wasmKernelConfig(ALL_FINITE, allFiniteKernel);
