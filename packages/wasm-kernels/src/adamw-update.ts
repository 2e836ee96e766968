import * as tf from '@tensorflow/tfjs-core';

import { ADAMW_UPDATE_KERNEL, type AdamWUpdateAttrs } from '@edet/tensor';

import { WasmKernelError } from './errors.js';
import { type KernelArgs, pointer, wasmKernelConfig } from './wasm-backend.js';

/**
 * One AdamW update of one variable in a single pass over the wasm heap:
 * `m' = b1 m + (1 - b1) g`, `v' = b2 v + (1 - b2) g^2`, `w' = w - stepSize m' / (sqrt(v') + eps) - decay w`.
 * Inputs `variable`, `m`, `v`, `gradient` (float32, one shape); outputs `[w', m', v']`, new tensors.
 * Composed from tfjs ops the same update is about ten full passes with an allocation each, for every one
 * of a model's few hundred variables. Without decay (0) the decay term is left out rather than multiplied
 * by 0, so an infinite w stays infinite (0 x Inf would be NaN), as in the composed update.
 */
function adamWUpdate({ inputs, backend, attrs }: KernelArgs<AdamWUpdateAttrs>): tf.TensorInfo[] {
  const { variable, m, v, gradient } = inputs;
  const { beta1, beta2, stepSize, epsilon, decay } = attrs;
  for (const [name, info] of Object.entries({ variable, m, v, gradient })) {
    if (info.dtype !== 'float32' || !tf.util.arraysEqual(info.shape, variable.shape)) {
      throw new WasmKernelError(`${ADAMW_UPDATE_KERNEL}: ${name} must be float32 [${variable.shape}], got ${info.dtype} [${info.shape}]`);
    }
  }
  const outW = backend.makeOutput(variable.shape, 'float32');
  const outM = backend.makeOutput(variable.shape, 'float32');
  const outV = backend.makeOutput(variable.shape, 'float32');
  // Views after the allocations, which may grow (and move) the heap.
  const heap = backend.wasm.HEAPF32;
  const [w0, m0, v0, g0] = [variable, m, v, gradient].map((info) => pointer(backend, info) / 4);
  const [w1, m1, v1] = [outW, outM, outV].map((info) => pointer(backend, info) / 4);
  const size = tf.util.sizeFromShape(variable.shape);
  for (let i = 0; i < size; i++) {
    const g = heap[g0 + i];
    const w = heap[w0 + i];
    const mi = beta1 * heap[m0 + i] + (1 - beta1) * g;
    const vi = beta2 * heap[v0 + i] + (1 - beta2) * g * g;
    heap[m1 + i] = mi;
    heap[v1 + i] = vi;
    const stepped = w - (stepSize * mi) / (Math.sqrt(vi) + epsilon);
    heap[w1 + i] = decay === 0 ? stepped : stepped - decay * w;
  }
  return [outW, outM, outV];
}

export const adamWUpdateConfig = wasmKernelConfig(ADAMW_UPDATE_KERNEL, adamWUpdate);
