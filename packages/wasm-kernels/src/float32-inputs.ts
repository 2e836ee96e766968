import type * as tf from '@tensorflow/tfjs-core';

import { WasmKernelError } from './errors.js';
import { type KernelArgs, type WasmBackend, release, runWasmKernel } from './wasm-backend.js';

/**
 * int32 and bool inputs for kernels whose SIMD code reads float32: tfjs's cpu kernels (the reference) read
 * any numeric dtype and return float32, so these inputs are cast to float32 copies before the kernel runs
 * and the copies freed after. float32 inputs (the training path) pass through untouched.
 */

/** `kernelFunc` taking int32 and bool inputs too (as float32 copies); other dtypes get a WasmKernelError. */
export function withFloat32Inputs<Attrs>(
  kernelName: string,
  kernelFunc: (args: KernelArgs<Attrs>) => tf.TensorInfo,
): (args: KernelArgs<Attrs>) => tf.TensorInfo {
  return (args) => {
    const entries = Object.entries(args.inputs);
    if (entries.every(([, info]) => info.dtype === 'float32')) return kernelFunc(args);
    for (const [name, info] of entries) {
      if (!['float32', 'int32', 'bool'].includes(info.dtype)) {
        throw new WasmKernelError(`${kernelName}: ${name} must be float32, int32 or bool, got ${info.dtype}`);
      }
    }
    const casts: tf.TensorInfo[] = [];
    const inputs = Object.fromEntries(
      entries.map(([name, info]) => {
        if (info.dtype === 'float32') return [name, info];
        const cast = runWasmKernel('Cast', { x: info }, { dtype: 'float32' }, args.backend);
        casts.push(cast);
        return [name, cast];
      }),
    );
    try {
      return kernelFunc({ ...args, inputs });
    } finally {
      release(args.backend as WasmBackend, ...casts);
    }
  };
}
