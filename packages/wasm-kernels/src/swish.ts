import * as tf from '@tensorflow/tfjs-core';

import { SWISH, SWISH_GRAD } from '@edet/tensor';

import { WasmKernelError } from './errors.js';
import { checkFloat32 } from './float32-check.js';
import { elementwiseSplit, runSplit } from './threads/kernel-threads.js';
import { type KernelArgs, allocate, backendMemory, pointer, simd, wasmKernelConfig } from './wasm-backend.js';

/**
 * Swish (`x * sigmoid(x)`) and its gradient for the wasm backend, one SIMD pass each instead of the three
 * (forward) or six (backward) full-size tfjs ops of the composed form. Kernels of our own; the `swish` op
 * runs them when they are registered for the active backend. float32 only. Both split their
 * elements over the kernel threads where there are some.
 */


/** `EdetSwish`: input x; output `x * sigmoid(x)`, same shape. */
function swish({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const { x } = inputs;
  checkFloat32(SWISH, { x });
  const y = allocate(backend, x.shape, false);
  const count = tf.util.sizeFromShape(x.shape);
  runSplit(backendMemory(backend), 'swish', [pointer(backend, x), pointer(backend, y), count], elementwiseSplit(count, [4, 4, 0], 2));
  return y;
}

/** `EdetSwishGrad`: inputs dy and x (same shape); output `dy * sigmoid(x) * (1 + x * (1 - sigmoid(x)))`. */
function swishGrad({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const { dy, x } = inputs;
  checkFloat32(SWISH_GRAD, { dy, x });
  if (!tf.util.arraysEqual(dy.shape, x.shape)) throw new WasmKernelError(`${SWISH_GRAD}: dy [${dy.shape}] and x [${x.shape}] differ`);
  const dx = allocate(backend, x.shape, false);
  const count = tf.util.sizeFromShape(x.shape);
  runSplit(backendMemory(backend), 'swishGrad', [pointer(backend, x), pointer(backend, dy), pointer(backend, dx), count], elementwiseSplit(count, [4, 4, 4, 0], 3));
  return dx;
}

export const swishConfig = wasmKernelConfig(SWISH, swish);

export const swishGradConfig = wasmKernelConfig(SWISH_GRAD, swishGrad);
