import * as tf from '@tensorflow/tfjs-core';

import { WasmKernelError } from './errors.js';
import { type SimdKernels, simdKernels } from './wasm/simd-module.js';

/**
 * What the training kernels use of tfjs's wasm backend: its tensor table (data lives in the wasm heap at
 * `memoryOffset`), output allocation, disposal, and the wasm instance (heap views and the memory object).
 * Typed here rather than imported so this package does not depend on the backend's internal classes.
 */
export interface WasmBackend {
  dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number; refCount: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
  wasm: { HEAPF32: Float32Array; HEAP32: Int32Array; HEAPU8: Uint8Array; asm?: { memory?: WebAssembly.Memory }; wasmMemory?: WebAssembly.Memory };
}

/** The arguments every kernel function receives. */
export interface KernelArgs<Attrs = Record<string, unknown>> {
  inputs: Record<string, tf.TensorInfo>;
  backend: WasmBackend;
  attrs: Attrs;
}

/** The registration record of a wasm kernel (the kernel's outputs are owned by the backend, as tfjs expects). */
export function wasmKernelConfig<Attrs>(
  kernelName: string,
  kernelFunc: (args: KernelArgs<Attrs>) => tf.TensorInfo | tf.TensorInfo[],
): tf.KernelConfig {
  return { kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc };
}

/** Byte offset of a tensor's data in the wasm heap. */
export function pointer(backend: WasmBackend, info: tf.TensorInfo): number {
  const data = backend.dataIdMap.get(info.dataId);
  if (data === undefined) throw new WasmKernelError('tensor data is not on the wasm backend (disposed?)');
  return data.memoryOffset;
}

/** A float32 view of a tensor's data. Re-take it after any allocation: the heap may have grown and moved. */
export function floatView(backend: WasmBackend, info: tf.TensorInfo): Float32Array {
  const start = pointer(backend, info) / 4;
  return backend.wasm.HEAPF32.subarray(start, start + tf.util.sizeFromShape(info.shape));
}

/** A new float32 tensor on the backend, zero-filled when `zero` (otherwise its contents are garbage). */
export function allocate(backend: WasmBackend, shape: number[], zero: boolean): tf.TensorInfo {
  const out = backend.makeOutput(shape, 'float32');
  if (zero) floatView(backend, out).fill(0);
  return out;
}

/** The same data under another shape (no copy; do not dispose it separately from `info`). */
export function view(info: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return { dataId: info.dataId, shape, dtype: info.dtype };
}

/** Frees intermediates made inside a kernel. */
export function release(backend: WasmBackend, ...infos: tf.TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/**
 * Runs another wasm kernel directly (not through the engine, so nothing is recorded on a tape and the
 * result is this kernel's to dispose).
 */
export function runWasmKernel(
  name: string,
  inputs: Record<string, tf.TensorInfo>,
  attrs: Record<string, unknown>,
  backend: WasmBackend,
): tf.TensorInfo {
  const kernel = tf.getKernel(name, 'wasm');
  if (kernel == null) throw new WasmKernelError(`the wasm backend has no ${name} kernel`);
  const kernelBackend = backend as unknown as tf.KernelBackend;
  const out = kernel.kernelFunc({ inputs, attrs: attrs as tf.NamedAttrMap, backend: kernelBackend });
  return Array.isArray(out) ? out[0] : out;
}

/** The backend's wasm memory. */
export function backendMemory(backend: WasmBackend): WebAssembly.Memory {
  // The single-threaded builds export their memory; the multi-threaded one imports a shared memory and
  // keeps it as `wasmMemory`.
  const memory = backend.wasm.asm?.memory ?? backend.wasm.wasmMemory;
  if (memory === undefined) throw new WasmKernelError('wasm training kernels: the wasm backend does not expose its memory');
  return memory;
}

/** The SIMD kernels bound to this backend's heap. */
export function simd(backend: WasmBackend): SimdKernels {
  return simdKernels(backendMemory(backend));
}

/** `a x b` for `a: [m, k]`, `b: [k, n]` (wasm BatchMatMul, XNNPACK-backed when neither is transposed). */
export function matMul(backend: WasmBackend, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
  const [m, k] = a.shape;
  const n = b.shape[1];
  const out = runWasmKernel(
    'BatchMatMul',
    { a: view(a, [1, m, k]), b: view(b, [1, k, n]) },
    { transposeA: false, transposeB: false },
    backend,
  );
  return view(out, [m, n]);
}

/** The transpose of a `[rows, cols]` matrix (SIMD kernel; tfjs's own Transpose is several times slower). */
export function transpose2d(backend: WasmBackend, a: tf.TensorInfo): tf.TensorInfo {
  const [rows, cols] = a.shape;
  const out = allocate(backend, [cols, rows], false);
  simd(backend).transpose2d(pointer(backend, a), pointer(backend, out), rows, cols);
  return out;
}
