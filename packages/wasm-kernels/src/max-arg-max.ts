import * as tf from '@tensorflow/tfjs-core';

import { MAX_ARG_MAX } from '@edet/tensor';

import { WasmKernelError } from './errors.js';
import { MAX_CHUNKS } from './threads/claimed-chunks.js';
import { runSplit } from './threads/kernel-threads.js';
import { type KernelArgs, backendMemory, pointer, wasmKernelConfig } from './wasm-backend.js';

// Values a chunk of rows should hold at least, so that claiming it costs little next to reading them.
const CHUNK_VALUES = 1 << 16;

/**
 * `EdetMaxArgMax` for the wasm backend: the maximum over the last axis and its index in one SIMD pass,
 * where `tf.max` and `tf.argMax` read the tensor once each (the post-processing of a detector's
 * `[N, A, C]` class scores: 4.4M values for D0 at 512), its rows split over the kernel threads where there
 * are some. float32 only; results as tfjs's cpu `Max` and `ArgMax`, NaN included (see `maxArgMaxProgram`),
 * whatever the thread count (each row is one thread's).
 */
function maxArgMax({ inputs, backend }: KernelArgs): tf.TensorInfo[] {
  const { x } = inputs;
  if (x.dtype !== 'float32') throw new WasmKernelError(`${MAX_ARG_MAX}: x must be float32, got ${x.dtype}`);
  if (x.shape.length < 1) throw new WasmKernelError(`${MAX_ARG_MAX}: x must have rank >= 1 ([..., C]), got shape [${x.shape}]`);
  const columns = x.shape[x.shape.length - 1];
  const outShape = x.shape.slice(0, -1);
  const rows = tf.util.sizeFromShape(outShape);
  const max = backend.makeOutput(outShape, 'float32');
  const argMax = backend.makeOutput(outShape, 'int32');
  if (rows === 0) return [max, argMax];
  if (columns === 0) {
    // cpu's kernels start from the row's first element, which an empty row lacks: NaN and index 0.
    const start = pointer(backend, max) / 4;
    backend.wasm.HEAPF32.fill(Number.NaN, start, start + rows);
    const at = pointer(backend, argMax) / 4;
    backend.wasm.HEAP32.fill(0, at, at + rows);
    return [max, argMax];
  }
  const args = [pointer(backend, x), pointer(backend, max), pointer(backend, argMax), rows, columns];
  // Rows are independent: split them over the kernel threads, chunks of at least CHUNK_VALUES values.
  const chunkUnits = Math.max(1, Math.ceil(CHUNK_VALUES / columns), Math.ceil(rows / MAX_CHUNKS));
  runSplit(backendMemory(backend), 'maxArgMax', args, { units: rows, chunkUnits, advance: [4 * columns, 4, 4, 0, 0], countArg: 3 });
  return [max, argMax];
}

export const maxArgMaxConfig = wasmKernelConfig(MAX_ARG_MAX, maxArgMax);
