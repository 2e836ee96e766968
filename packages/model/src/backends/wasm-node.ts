import { availableParallelism } from 'node:os';

import { InvalidArgumentError } from '@edet/tensor';
import { registerWasmKernels } from '@edet/wasm-kernels';
import { nodeThreadSpawner } from '@edet/wasm-kernels/node';

import type { BackendLoader } from './backend-loader.js';
import { startThreadedWasm } from './node-wasm-threads.js';
import { wasm } from './wasm.js';

/** The most threads `wasmNode` starts by default (XNNPACK gains little beyond, and each holds a stack). */
export const MAX_DEFAULT_WASM_THREADS = 8;

/** One thread per core, at most `MAX_DEFAULT_WASM_THREADS`. */
export function defaultWasmThreads(): number {
  return Math.max(1, Math.min(MAX_DEFAULT_WASM_THREADS, availableParallelism()));
}

/**
 * tfjs's WebAssembly backend in Node on `threads` threads: tfjs's threaded build (XNNPACK's thread pool
 * splits each convolution, matrix product and pooling across Node worker threads over the module's shared
 * memory), with edet's wasm kernels as `wasm` has them, split over as many threads (their own pool of worker
 * threads on the same memory). One thread runs the same build on the calling thread alone. Results are
 * identical whatever the thread count: a thread computes whole output tiles.
 *
 * tfjs loads its wasm module once per process: if the wasm backend has already started (e.g. through
 * `wasm`), it keeps the build and thread count it started with.
 * @param threads a whole number from 1; default one per core, at most 8
 * @throws InvalidArgumentError naming `threads` otherwise
 */
export function wasmNode(threads = defaultWasmThreads()): BackendLoader {
  if (!Number.isInteger(threads) || threads < 1) throw new InvalidArgumentError('threads', 'a whole number from 1', String(threads));
  return {
    name: 'wasm',
    async prepare(options) {
      await wasm.prepare?.(options);
      registerWasmKernels({ threads, spawnThread: nodeThreadSpawner });
      await startThreadedWasm(threads);
    },
  };
}
