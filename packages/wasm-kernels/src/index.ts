// edet's kernels for tfjs's wasm backend: one call registers them all. Everything else here is internal.
export { WasmKernelError } from './errors.js';
export type { WasmKernelFeatures, WasmKernelOptions } from './register.js';
export type { ThreadSpawner, PoolThread } from './threads/kernel-threads.js';
export type { ThreadInit } from './threads/thread-source.js';
export { registerWasmKernels, wasmKernelFeatures, isEdetKernel, ADDED_KERNELS, REPLACED_KERNELS, WASM_KERNELS } from './register.js';
