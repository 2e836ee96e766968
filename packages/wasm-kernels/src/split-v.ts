import * as tf from '@tensorflow/tfjs-core';

import { BLOCK_COPY_DTYPES, copyBox } from './block-copy.js';
import type { KernelArgs } from './wasm-backend.js';

/**
 * `SplitV` for the wasm backend (`tf.split`, and the gradient of `tf.concat`), as one box copy per part
 * (see `block-copy.ts`). The backend's kernel slices each part with its `Slice`, which copies the whole
 * input out of the heap once per part: 135 ms to split D0's `[1, 49104, 90]` class targets by level, a
 * few ms of actual copying. Other dtypes go to the backend's kernel.
 */

interface Attrs {
  numOrSizeSplits: number | number[];
  axis: number | number[];
}

function splitV({ inputs, backend, attrs }: KernelArgs<Attrs>): tf.TensorInfo[] {
  const { x } = inputs;
  const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0];
  // A copy: the backend's helper resolves a -1 entry in place, and attrs may be kept (on the tape).
  const splits = Array.isArray(attrs.numOrSizeSplits) ? [...attrs.numOrSizeSplits] : attrs.numOrSizeSplits;
  const sizes = tf.backend_util.prepareSplitSize(x, splits, axis);
  const begin = new Array<number>(x.shape.length).fill(0);
  const zero = new Array<number>(x.shape.length).fill(0);
  return sizes.map((length) => {
    const shape = x.shape.slice();
    shape[axis] = length;
    const part = backend.makeOutput(shape, x.dtype);
    copyBox(backend, x, begin, part, zero, shape);
    begin[axis] += length;
    return part;
  });
}

/** The kernel config; `fallback` (the backend's own kernel) handles bool, string and complex64 tensors. */
export function splitVConfig(fallback: tf.KernelFunc): tf.KernelConfig {
  const kernelFunc = (args: KernelArgs<Attrs>) =>
    BLOCK_COPY_DTYPES.includes(args.inputs.x.dtype)
      ? splitV(args)
      : (fallback(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo[]);
  return { kernelName: 'SplitV', backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc };
}
