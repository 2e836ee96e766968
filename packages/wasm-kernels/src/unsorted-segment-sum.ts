import * as tf from '@tensorflow/tfjs-core';

import { type KernelArgs, pointer, wasmKernelConfig } from './wasm-backend.js';

/**
 * `UnsortedSegmentSum` for the wasm backend (the gradient of `gather`):
 * `out[s, ...] = sum over i with segmentIds[i] == s of x[i, ...]`, where `i` runs over the leading
 * `segmentIds.rank` axes of x. Ids outside `[0, numSegments)` are dropped, as the cpu kernel does. A
 * single pass in JavaScript over the heap: the work is one add per element of x.
 */

interface Attrs {
  numSegments: number;
}

function unsortedSegmentSum({ inputs, backend, attrs }: KernelArgs<Attrs>): tf.TensorInfo {
  const { x, segmentIds } = inputs;
  const { numSegments } = attrs;
  const rows = tf.util.sizeFromShape(segmentIds.shape);
  const inner = rows === 0 ? 0 : tf.util.sizeFromShape(x.shape) / rows;
  const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
  const out = backend.makeOutput(outShape, x.dtype);
  // Views after the allocation, which may grow (and move) the heap.
  const heap = x.dtype === 'int32' ? backend.wasm.HEAP32 : backend.wasm.HEAPF32;
  const src = pointer(backend, x) / 4;
  const dst = pointer(backend, out) / 4;
  const ids = pointer(backend, segmentIds) / 4;
  heap.fill(0, dst, dst + numSegments * inner);
  const idHeap = backend.wasm.HEAP32;
  for (let i = 0; i < rows; i++) {
    const id = idHeap[ids + i];
    if (id < 0 || id >= numSegments) continue;
    const from = src + i * inner;
    const to = dst + id * inner;
    for (let j = 0; j < inner; j++) heap[to + j] += heap[from + j];
  }
  return out;
}

export const unsortedSegmentSumConfig = wasmKernelConfig('UnsortedSegmentSum', unsortedSegmentSum);
