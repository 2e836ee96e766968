import type * as tf from '@tensorflow/tfjs-core';

import type { WasmBackend } from './wasm-backend.js';

/**
 * Leak-free error paths for every kernel registered here. A kernel allocates its outputs and intermediates
 * with `backend.makeOutput` (directly, or through the backend kernels it runs); when it throws, the engine
 * never sees those tensors, so nothing would free their heap memory. `freeOnThrow` records what a call
 * allocates and frees it all when the call throws. Recording costs one array push per allocation; the
 * backend's `makeOutput` is wrapped once per backend instance.
 */

/** The allocations of the kernel call now running (innermost), or null outside one. */
let recording: tf.TensorInfo[] | null = null;

const wrapped = new WeakSet<object>();

function recordAllocations(backend: WasmBackend): void {
  if (wrapped.has(backend)) return;
  wrapped.add(backend);
  const makeOutput = backend.makeOutput;
  backend.makeOutput = function recordedMakeOutput(this: unknown, ...args: Parameters<WasmBackend['makeOutput']>) {
    const info = (makeOutput as (...a: unknown[]) => tf.TensorInfo).apply(backend, args);
    recording?.push(info);
    return info;
  } as WasmBackend['makeOutput'];
}

/** `kernelFunc`, freeing everything the call allocated when it throws (then rethrowing). */
export function freeOnThrow(kernelFunc: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const backend = args.backend as unknown as WasmBackend;
    recordAllocations(backend);
    const outer = recording;
    const made: tf.TensorInfo[] = [];
    recording = made;
    try {
      const result = kernelFunc(args);
      // A nested call's results belong to the call that ran it: freed if that one throws.
      outer?.push(...made);
      return result;
    } catch (error) {
      // Freeing one already freed (an intermediate released before the throw) does nothing.
      for (const info of made) backend.disposeData(info.dataId, true);
      throw error;
    } finally {
      recording = outer;
    }
  };
}
