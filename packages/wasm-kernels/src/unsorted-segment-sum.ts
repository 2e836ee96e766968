import * as tf from '@tensorflow/tfjs-core';

import { WasmKernelError } from './errors.js';
import { type KernelArgs, type WasmBackend, pointer, wasmKernelConfig } from './wasm-backend.js';

/**
 * `UnsortedSegmentSum` for the wasm backend (the gradient of `gather`):
 * `out[s, ...] = sum over i with segmentIds[i] == s of x[i, ...]`, where `i` runs over the leading
 * `segmentIds.rank` axes of x. Ids outside `[0, numSegments)` are dropped, as the cpu kernel does. The
 * output is float32 whatever x's dtype (float32, int32 or bool), as tfjs's cpu kernel returns. A single
 * pass in JavaScript over the heap: the work is one add per element of x.
 */

interface Attrs {
  numSegments: number;
}

/** x's data as numbers, read with its dtype's width (bool is one byte an element). */
function valuesOf(backend: WasmBackend, x: tf.TensorInfo): { heap: Float32Array | Int32Array | Uint8Array; start: number } {
  const at = pointer(backend, x);
  if (x.dtype === 'bool') return { heap: backend.wasm.HEAPU8, start: at };
  return x.dtype === 'int32' ? { heap: backend.wasm.HEAP32, start: at / 4 } : { heap: backend.wasm.HEAPF32, start: at / 4 };
}

function check(x: tf.TensorInfo, segmentIds: tf.TensorInfo, numSegments: number): void {
  const name = 'UnsortedSegmentSum';
  if (!['float32', 'int32', 'bool'].includes(x.dtype)) throw new WasmKernelError(`${name}: x must be float32, int32 or bool, got ${x.dtype}`);
  if (segmentIds.dtype !== 'int32') throw new WasmKernelError(`${name}: segmentIds must be int32, got ${segmentIds.dtype}`);
  if (!tf.util.arraysEqual(x.shape.slice(0, segmentIds.shape.length), segmentIds.shape)) {
    throw new WasmKernelError(`${name}: x [${x.shape}] must begin with segmentIds' shape [${segmentIds.shape}]`);
  }
  if (!Number.isInteger(numSegments) || numSegments < 0) {
    throw new WasmKernelError(`${name}: numSegments must be a non-negative integer, got ${numSegments}`);
  }
}

function unsortedSegmentSum({ inputs, backend, attrs }: KernelArgs<Attrs>): tf.TensorInfo {
  const { x, segmentIds } = inputs;
  const { numSegments } = attrs;
  check(x, segmentIds, numSegments);
  const rows = tf.util.sizeFromShape(segmentIds.shape);
  // From x's shape, not size / rows: with no rows the output is still numSegments x inner zeros.
  const innerShape = x.shape.slice(segmentIds.shape.length);
  const inner = tf.util.sizeFromShape(innerShape);
  const out = backend.makeOutput([numSegments, ...innerShape], 'float32');
  // Views after the allocation, which may grow (and move) the heap.
  const sums = backend.wasm.HEAPF32;
  const dst = pointer(backend, out) / 4;
  sums.fill(0, dst, dst + numSegments * inner);
  const { heap, start } = valuesOf(backend, x);
  const ids = pointer(backend, segmentIds) / 4;
  const idHeap = backend.wasm.HEAP32;
  for (let i = 0; i < rows; i++) {
    const id = idHeap[ids + i];
    if (id < 0 || id >= numSegments) continue;
    const from = start + i * inner;
    const to = dst + id * inner;
    for (let j = 0; j < inner; j++) sums[to + j] += heap[from + j];
  }
  return out;
}

export const unsortedSegmentSumConfig = wasmKernelConfig('UnsortedSegmentSum', unsortedSegmentSum);
