import type * as tf from '@tensorflow/tfjs-core';

import { WasmKernelError } from './errors.js';
import { FUSED_ACTIVATIONS, type FusedActivation } from './wasm/activation-epilogue.js';

/** Throws a `WasmKernelError` naming `kernel` and the input unless every input is float32. */
export function checkFloat32(kernel: string, infos: Record<string, tf.TensorInfo | undefined>): void {
  for (const [name, info] of Object.entries(infos)) {
    if (info !== undefined && info.dtype !== 'float32') throw new WasmKernelError(`${kernel}: ${name} must be float32, got ${info.dtype}`);
  }
}

/** Throws a `WasmKernelError` naming `kernel` unless `activation` is one of the fused epilogues. */
export function checkFusedActivation(kernel: string, activation: unknown): asserts activation is FusedActivation {
  if (!FUSED_ACTIVATIONS.includes(activation as FusedActivation)) {
    throw new WasmKernelError(`${kernel}: activation must be one of ${FUSED_ACTIVATIONS.join(', ')}, got ${String(activation)}`);
  }
}
