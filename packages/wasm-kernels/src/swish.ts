import * as tf from '@tensorflow/tfjs-core';

import { SWISH, SWISH_GRAD } from '@edet/tensor';

import { WasmKernelError } from './errors.js';
import { type KernelArgs, allocate, pointer, simd, wasmKernelConfig } from './wasm-backend.js';

/**
 * Swish (`x * sigmoid(x)`) and its gradient for the wasm backend, one SIMD pass each instead of the three
 * (forward) or six (backward) full-size tfjs ops of the composed form. Kernels of our own; the `swish` op
 * runs them when they are registered for the active backend. float32 only.
 */


function checkFloat32(kernel: string, infos: Record<string, tf.TensorInfo>): void {
  for (const [name, info] of Object.entries(infos)) {
    if (info.dtype !== 'float32') throw new WasmKernelError(`${kernel}: ${name} must be float32, got ${info.dtype}`);
  }
}

/** `EdetSwish`: input x; output `x * sigmoid(x)`, same shape. */
function swish({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const { x } = inputs;
  checkFloat32(SWISH, { x });
  const y = allocate(backend, x.shape, false);
  simd(backend).swish(pointer(backend, x), pointer(backend, y), tf.util.sizeFromShape(x.shape));
  return y;
}

/** `EdetSwishGrad`: inputs dy and x (same shape); output `dy * sigmoid(x) * (1 + x * (1 - sigmoid(x)))`. */
function swishGrad({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const { dy, x } = inputs;
  checkFloat32(SWISH_GRAD, { dy, x });
  if (!tf.util.arraysEqual(dy.shape, x.shape)) throw new WasmKernelError(`${SWISH_GRAD}: dy [${dy.shape}] and x [${x.shape}] differ`);
  const dx = allocate(backend, x.shape, false);
  simd(backend).swishGrad(pointer(backend, x), pointer(backend, dy), pointer(backend, dx), tf.util.sizeFromShape(x.shape));
  return dx;
}

export const swishConfig = wasmKernelConfig(SWISH, swish);

export const swishGradConfig = wasmKernelConfig(SWISH_GRAD, swishGrad);
