import * as tf from '@tensorflow/tfjs-core';

import { BLOCK_COPY_DTYPES, copyBox } from './block-copy.js';
import type { WasmBackend } from './wasm-backend.js';

/**
 * `Concat` for the wasm backend (`tf.concat`, `tf.stack`, the gradient of `tf.split`), as one box copy
 * per input into its place in the output (see `block-copy.ts`). The backend's kernel copies one
 * `subarray().set()` per input per outer index, 200k calls to stack four `[49104, 1]` box coordinates.
 * Inputs of mixed dtypes, of rank 0 or of a dtype other than float32 / int32 go to the backend's kernel.
 */

interface Attrs {
  axis: number | number[];
}

/** The engine passes Concat its inputs as an array (not a name -> tensor map). */
interface ConcatArgs {
  inputs: ArrayLike<tf.TensorInfo>;
  backend: WasmBackend;
  attrs: Attrs;
}

function concat(backend: WasmBackend, tensors: tf.TensorInfo[], attrs: Attrs): tf.TensorInfo {
  const axis = tf.util.parseAxisParam(attrs.axis, tensors[0].shape)[0];
  const shapes = tensors.map((t) => t.shape);
  tf.backend_util.assertParamsConsistent(shapes, axis);
  const out = backend.makeOutput(tf.backend_util.computeOutShape(shapes, axis), tensors[0].dtype);
  const zero = new Array<number>(out.shape.length).fill(0);
  const begin = zero.slice();
  for (const t of tensors) {
    copyBox(backend, t, zero, out, begin, t.shape);
    begin[axis] += t.shape[axis];
  }
  return out;
}

/** The kernel config; `fallback` (the backend's own kernel) handles what `concat` above does not. */
export function concatConfig(fallback: tf.KernelFunc): tf.KernelConfig {
  const kernelFunc = (args: ConcatArgs) => {
    const tensors = Array.from(args.inputs);
    const dtype = tensors[0]?.dtype;
    const covered =
      dtype !== undefined &&
      BLOCK_COPY_DTYPES.includes(dtype) &&
      tensors.every((t) => t.dtype === dtype && t.shape.length > 0);
    return covered
      ? concat(args.backend, tensors, args.attrs)
      : (fallback(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo);
  };
  return { kernelName: 'Concat', backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc };
}
