import * as tf from '@tensorflow/tfjs-core';

/**
 * True when the active backend has the fused kernel `name` (a kernel package's, e.g. registered on wasm
 * by `registerWasmKernels` of `@edet/wasm-kernels`) and `tensors` are all float32; otherwise layers
 * compose the same math from tfjs ops.
 */
export function canUseFusedKernel(name: string, tensors: readonly tf.Tensor[]): boolean {
  return tensors.every((t) => t.dtype === 'float32') && tf.getKernel(name, tf.getBackend()) != null;
}
