import * as tf from '@tensorflow/tfjs-core';

import { InvalidArgumentError, formatShape } from '../errors.js';

/**
 * Reading a tensor's values into an array the caller keeps, so that a loop over frames reads each output
 * into the same memory every time. `tensor.data()` returns a new array per call: for D0's class scores that
 * is 17.7 MB of fresh memory per frame, and on a machine where the allocator hands freed memory back to the
 * system, touching fresh pages cost about 50 ms per frame (as long as the network itself), against 2 ms to
 * copy into memory already in use.
 */

/** The arrays `readInto` fills: one per numeric dtype, as `tensor.data()` returns them. */
export type ReadTarget = Float32Array | Int32Array;

// What the wasm backend keeps of a tensor (tfjs-backend-wasm's `dataIdMap` entries) and of its heap.
interface WasmHeapBackend {
  dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number } | undefined };
  wasm: { HEAPU8: Uint8Array };
}

/** The backend that holds `tensor`'s data, when it is tfjs's wasm backend. */
function wasmHolder(tensor: tf.Tensor): WasmHeapBackend | undefined {
  const backend = (tf.engine().state.tensorInfo.get(tensor.dataId) as { backend?: unknown } | undefined)?.backend;
  if (backend === undefined || backend !== tf.engine().registry.wasm) return undefined;
  const candidate = backend as Partial<WasmHeapBackend>;
  return candidate.dataIdMap !== undefined && candidate.wasm?.HEAPU8 !== undefined ? (candidate as WasmHeapBackend) : undefined;
}

/**
 * Copies the values of `tensor` (float32 into a `Float32Array`, int32 into an `Int32Array`, of exactly
 * `tensor.size` elements) into `target`, in the order `tensor.data()` gives them. On the wasm backend the
 * values are copied straight out of its heap, with no array allocated; elsewhere they come from
 * `tensor.data()`. Awaits the backend as `data()` does.
 *
 * Memory: the caller keeps both `tensor` (not disposed here) and `target`.
 * @throws InvalidArgumentError when `target` is not an array of the tensor's dtype and size, or the tensor
 *   is of another dtype; nothing is written then
 */
export async function readInto(tensor: tf.Tensor, target: ReadTarget): Promise<void> {
  const expected = tensor.dtype === 'float32' ? Float32Array : tensor.dtype === 'int32' ? Int32Array : undefined;
  if (expected === undefined) throw new InvalidArgumentError('tensor', 'a float32 or int32 tensor', `${tensor.dtype} ${formatShape(tensor.shape)}`);
  if (!(target instanceof expected) || target.length !== tensor.size) {
    const got = ArrayBuffer.isView(target) ? `${target.constructor.name} of ${(target as ReadTarget).length}` : String(target);
    throw new InvalidArgumentError('target', `a ${expected.name} of ${tensor.size} elements (tensor ${formatShape(tensor.shape)})`, got);
  }
  if (tensor.isDisposed) throw new InvalidArgumentError('tensor', 'a tensor not yet disposed', `a disposed tensor ${formatShape(tensor.shape)}`);
  const heap = wasmHolder(tensor);
  const entry = heap?.dataIdMap.get(tensor.dataId);
  if (heap !== undefined && entry !== undefined) {
    // The heap may have grown (a new buffer) since the tensor was written: take the view now.
    target.set(new expected(heap.wasm.HEAPU8.buffer as ArrayBuffer, entry.memoryOffset, tensor.size));
    return;
  }
  target.set((await tensor.data()) as ReadTarget);
}
