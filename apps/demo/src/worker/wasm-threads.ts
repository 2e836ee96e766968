import { MAX_WASM_THREADS } from '../config.js';

/** What decides how many threads the wasm backend may use. */
export interface ThreadEnvironment {
  /** `crossOriginIsolated`: without it there is no SharedArrayBuffer, so tfjs runs its single-threaded build. */
  isolated: boolean;
  /** `navigator.hardwareConcurrency` (logical cores), when the browser tells. */
  cores: number | undefined;
}

/**
 * The threads to start the wasm backend with: the number asked for (`?threads=N`), else one per logical core,
 * at most `MAX_WASM_THREADS`; 1 when the page is not cross-origin isolated, whatever was asked.
 * @param requested a whole number >= 1, or `undefined` for one per core
 */
export function wasmThreadCount(requested: number | undefined, environment: ThreadEnvironment): number {
  if (!environment.isolated) return 1;
  const wanted = requested ?? environment.cores ?? 1;
  return Math.max(1, Math.min(MAX_WASM_THREADS, Math.floor(wanted)));
}

/**
 * Lets tfjs's threaded build use `threads` threads. It takes at most half of `navigator.hardwareConcurrency`
 * (assuming two hyperthreads per core), whatever `setThreadsCount` asks, so a 2-core machine would get one.
 * It reads that number once, when its module starts in this worker: reporting twice `threads` here lets the
 * count set with `setThreadsCount` through. Call it before the wasm backend starts; only this worker's
 * `navigator` changes.
 */
export function allowWasmThreads(threads: number): void {
  Object.defineProperty(navigator, 'hardwareConcurrency', { value: 2 * threads, configurable: true });
}
