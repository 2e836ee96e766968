import * as tf from '@tensorflow/tfjs-core';

import { type KernelArgs, pointer } from './wasm-backend.js';

/**
 * `Tile` for the wasm backend (also what `broadcastTo` runs, e.g. in the gradients of `sum` and `mean`),
 * replacing the backend's per-element loop with block copies on the heap: each innermost run of x is copied
 * once, then every repetition is a `copyWithin` of what has been written, doubling where it can. Axes that
 * tile nothing are merged first, so the copies are as long as possible.
 */

interface Attrs {
  reps: number[];
}

/** Drops size-1 axes that are not repeated and merges neighbours that are not repeated. */
function simplify(shape: number[], reps: number[]): { shape: number[]; reps: number[] } {
  const outShape: number[] = [];
  const outReps: number[] = [];
  shape.forEach((size, i) => {
    if (size === 1 && reps[i] === 1) return;
    const last = outShape.length - 1;
    if (last >= 0 && reps[i] === 1 && outReps[last] === 1) outShape[last] *= size;
    else {
      outShape.push(size);
      outReps.push(reps[i]);
    }
  });
  return { shape: outShape, reps: outReps };
}

/** Repeats the run `heap[start, start + length)` right after itself until it is there `times` times. */
function repeatRun(heap: Float32Array | Int32Array | Uint8Array, start: number, length: number, times: number): void {
  // Copy what is already there, doubling the copied span each time.
  let filled = length;
  const total = length * times;
  while (filled < total) {
    const chunk = Math.min(filled, total - filled);
    heap.copyWithin(start + filled, start, start + chunk);
    filled += chunk;
  }
}

function tile({ inputs, backend, attrs }: KernelArgs<Attrs>): tf.TensorInfo {
  const { x } = inputs;
  const outShape = x.shape.map((size, i) => size * attrs.reps[i]);
  const out = backend.makeOutput(outShape, x.dtype);
  if (tf.util.sizeFromShape(outShape) === 0) return out;
  const { shape, reps } = simplify(x.shape, attrs.reps);
  const bytes = x.dtype === 'bool' ? 1 : 4;
  const heap = bytes === 1 ? backend.wasm.HEAPU8 : x.dtype === 'int32' ? backend.wasm.HEAP32 : backend.wasm.HEAPF32;
  const src = pointer(backend, x) / bytes;
  const dst = pointer(backend, out) / bytes;
  if (shape.length === 0) {
    heap[dst] = heap[src];
    return out;
  }
  // Sizes of one x block and one output block below each axis.
  const rank = shape.length;
  const inBlock = new Array<number>(rank + 1).fill(1);
  const outBlock = new Array<number>(rank + 1).fill(1);
  for (let a = rank - 1; a >= 0; a--) {
    inBlock[a] = inBlock[a + 1] * shape[a];
    outBlock[a] = outBlock[a + 1] * shape[a] * reps[a];
  }
  // Writes the output block of axis `a` for the x block at `from`, to `to`.
  const fill = (a: number, from: number, to: number): void => {
    if (a === rank - 1) {
      heap.copyWithin(to, from, from + shape[a]);
    } else {
      for (let j = 0; j < shape[a]; j++) fill(a + 1, from + j * inBlock[a + 1], to + j * outBlock[a + 1]);
    }
    if (reps[a] > 1) repeatRun(heap, to, shape[a] * outBlock[a + 1], reps[a]);
  };
  fill(0, src, dst);
  return out;
}

/**
 * The kernel config; `fallback` (the backend's own kernel) handles the dtypes whose data is not in the heap
 * as plain numbers (string, complex64).
 */
export function tileConfig(fallback: tf.KernelFunc): tf.KernelConfig {
  const kernelFunc = (args: KernelArgs<Attrs>) =>
    ['float32', 'int32', 'bool'].includes(args.inputs.x.dtype)
      ? tile(args)
      : (fallback(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo);
  return { kernelName: 'Tile', backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc };
}
