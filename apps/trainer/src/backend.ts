import * as tf from '@tensorflow/tfjs-core';
import { type BackendName, useBackend } from '@edet/model';
import { cpu } from '@edet/model/backends/cpu';
import { wasm, wasmKernelFeatures } from '@edet/model/backends/wasm';
import { MAX_DEFAULT_WASM_THREADS, defaultWasmThreads, wasmNode } from '@edet/model/backends/wasm-node';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';

export { MAX_DEFAULT_WASM_THREADS, defaultWasmThreads };

/** The tfjs backends that run in Node without native add-ons, fastest first. */
export const NODE_BACKENDS = ['wasm', 'cpu'] as const satisfies readonly BackendName[];

/** A backend the command line can run on. */
export type NodeBackend = (typeof NODE_BACKENDS)[number];

/**
 * Starts a tfjs backend for the command line: the one asked for, or wasm with cpu as the fallback.
 * Production mode first silences tfjs's console advice ("install tfjs-node ...", printed by the cpu
 * backend), which would otherwise break the one-line error and `--json` output contracts; unlike
 * `IS_TEST` it does not add per-kernel memory-leak checks, which would skew the benchmark.
 * @param wasmThreads threads for wasm: above 1, tfjs's threaded build on that many (`wasmNode`); 1, its
 *   single-threaded build. The first start in a process decides: tfjs loads its wasm module once.
 * @param wasmRelaxedSimd wasm: edet's convolutions multiply-add with relaxed SIMD where the runtime has it
 * @throws NoBackendError listing every backend's failure when none starts
 */
export async function startBackend(requested?: NodeBackend, wasmThreads = 1, wasmRelaxedSimd = false): Promise<NodeBackend> {
  tf.enableProdMode();
  const loaders = { wasm: wasmThreads > 1 ? wasmNode(wasmThreads) : wasm, cpu };
  const backends = (requested === undefined ? NODE_BACKENDS : [requested]).map((name) => loaders[name]);
  return (await useBackend(backends, { wasmRelaxedSimd })) as NodeBackend;
}

/** The threads the active backend computes on: tfjs's count on wasm, 1 on cpu. */
export function backendThreads(): number {
  return tf.getBackend() === 'wasm' ? getThreadsCount() : 1;
}

/** Whether the inference convolutions multiply-add with relaxed SIMD (wasm, where the runtime has it). */
export function backendRelaxedSimd(): boolean {
  return tf.getBackend() === 'wasm' && wasmKernelFeatures().relaxedSimd;
}

/**
 * `wasm (2 threads)`, `wasm (2 threads, relaxed SIMD)`, `cpu`: the backend and, on wasm, its thread count
 * and whether its convolutions multiply-add with relaxed SIMD, as the reports print it.
 */
export function describeBackend(backend: string, threads = backendThreads(), relaxedSimd = backendRelaxedSimd()): string {
  if (backend !== 'wasm') return backend;
  return `wasm (${threads} thread${threads === 1 ? '' : 's'}${relaxedSimd ? ', relaxed SIMD' : ''})`;
}
