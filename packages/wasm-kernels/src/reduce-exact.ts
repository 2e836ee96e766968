import * as tf from '@tensorflow/tfjs-core';

import { WasmKernelError } from './errors.js';
import { type WasmBackend, pointer } from './wasm-backend.js';

/**
 * `Sum` and `Mean` in JavaScript for the cases the backend's own kernels get wrong and the SIMD kernel does
 * not take: int32 and bool tensors (the backend's kernels return bool sums, or fail on int32 and leak),
 * empty tensors and empty reductions (they return uninitialised memory) and no axes at all. The arithmetic
 * is the cpu kernel's, which is the reference: sums accumulate in float64 in row-major order of the reduced
 * axes; a mean divides each element (as float32) by the number reduced first, so a mean over nothing is 0;
 * the dtype is int32 for int32 / bool sums, else float32.
 */

/** The heap holding `info`'s data and its first index there, for float32, int32 and bool tensors. */
function heapOf(backend: WasmBackend, info: tf.TensorInfo): { heap: Float32Array | Int32Array | Uint8Array; start: number } {
  const at = pointer(backend, info);
  if (info.dtype === 'bool') return { heap: backend.wasm.HEAPU8, start: at };
  return info.dtype === 'int32' ? { heap: backend.wasm.HEAP32, start: at / 4 } : { heap: backend.wasm.HEAPF32, start: at / 4 };
}

/** Offsets (in elements) of every index over `axes` of `shape`, in row-major order. */
function offsets(shape: number[], strides: number[], axes: number[]): number[] {
  let result = [0];
  for (const axis of axes) {
    const next: number[] = [];
    for (const base of result) for (let i = 0; i < shape[axis]; i++) next.push(base + i * strides[axis]);
    result = next;
  }
  return result;
}

/** `Sum` (`mean` false) or `Mean` of x over `axes` (sorted, distinct), in JavaScript. */
export function reduceExact(
  backend: WasmBackend,
  x: tf.TensorInfo,
  axes: number[],
  keepDims: boolean,
  mean: boolean,
): tf.TensorInfo {
  if (!['float32', 'int32', 'bool'].includes(x.dtype)) {
    throw new WasmKernelError(`${mean ? 'Mean' : 'Sum'}: x must be float32, int32 or bool, got ${x.dtype}`);
  }
  const rank = x.shape.length;
  const strides = new Array<number>(rank).fill(1);
  for (let a = rank - 2; a >= 0; a--) strides[a] = strides[a + 1] * x.shape[a + 1];
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const outShape = keepDims ? x.shape.map((size, i) => (axes.includes(i) ? 1 : size)) : kept.map((i) => x.shape[i]);
  const dtype = mean || x.dtype === 'float32' ? 'float32' : 'int32';
  const out = backend.makeOutput(outShape, dtype);
  const outputs = offsets(x.shape, strides, kept);
  const reduced = offsets(x.shape, strides, axes);
  const count = reduced.length;
  // Views after the allocation, which may grow (and move) the heap.
  const { heap, start } = heapOf(backend, x);
  const result = heapOf(backend, out);
  for (let o = 0; o < outputs.length; o++) {
    const base = start + outputs[o];
    let sum = 0;
    if (mean) for (const r of reduced) sum += Math.fround(heap[base + r] / count);
    else for (const r of reduced) sum += heap[base + r];
    result.heap[result.start + o] = sum;
  }
  return out;
}
