import type * as tf from '@tensorflow/tfjs-core';

import { type WasmBackend, allocate, floatView, pointer, release, simd } from './wasm-backend.js';

/**
 * Finiteness checks that decide, after a fast kernel ran, whether its result may differ from the
 * reference's where NaN or +/-Infinity are involved (then an exact path redoes it). The fast kernels give
 * a non-finite result whenever the exact one is non-finite, so a finite result is the exact one.
 */

/** True when every value of `info` (float32) is finite; a JavaScript pass, for small tensors. */
export function allFinite(backend: WasmBackend, info: tf.TensorInfo): boolean {
  const values = floatView(backend, info);
  let sum = 0;
  // One multiply-add an element: the sum of `v * 0` is NaN exactly when some v is not finite.
  for (let i = 0; i < values.length; i++) sum += values[i] * 0;
  return sum === 0;
}

/**
 * True when every value of `info` (float32, `[rows, columns]` in memory) is finite, for large tensors: one
 * SIMD summing pass over the rows (a sum of finite values can still overflow; then this says false, and
 * only costs the caller its exact path).
 */
export function allFiniteLarge(backend: WasmBackend, info: tf.TensorInfo, rows: number, columns: number): boolean {
  const sums = allocate(backend, [columns], false);
  simd(backend).reduceMiddle(pointer(backend, info), pointer(backend, sums), 1, rows, columns, 1);
  const finite = allFinite(backend, sums);
  release(backend, sums);
  return finite;
}
