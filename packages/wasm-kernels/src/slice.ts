import * as tf from '@tensorflow/tfjs-core';

import { BLOCK_COPY_DTYPES, copyBox } from './block-copy.js';
import type { KernelArgs } from './wasm-backend.js';

/**
 * `Slice` for the wasm backend, as a box copy on the heap (see `block-copy.ts`). The backend's own kernel
 * first copies the whole input out of the heap, then the slice out of that copy. The output always gets
 * its own data, even when the slice is one contiguous run of x: shared data would outlive x's disposal
 * only through reference counts that this kernel would have to manage. Other dtypes go to the backend's
 * kernel.
 */

interface Attrs {
  begin: number | number[];
  size: number | number[];
}

function slice({ inputs, backend, attrs }: KernelArgs<Attrs>): tf.TensorInfo {
  const { x } = inputs;
  // The backend's own parsing: a number for the first axis only, size -1 for "to the end".
  const [begin, size] = tf.slice_util.parseSliceParams(x, attrs.begin, attrs.size);
  const out = backend.makeOutput(size, x.dtype);
  copyBox(backend, x, begin, out, new Array<number>(size.length).fill(0), size);
  return out;
}

/** The kernel config; `fallback` (the backend's own kernel) handles bool, string and complex64 tensors. */
export function sliceConfig(fallback: tf.KernelFunc): tf.KernelConfig {
  const kernelFunc = (args: KernelArgs<Attrs>) =>
    BLOCK_COPY_DTYPES.includes(args.inputs.x.dtype)
      ? slice(args)
      : (fallback(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo);
  return { kernelName: 'Slice', backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc };
}
