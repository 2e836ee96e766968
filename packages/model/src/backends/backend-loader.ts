/** The tfjs backends edet knows how to start. */
export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** Every backend edet supports, fastest first (names only: each backend's code is in its own entry). */
export const ALL_BACKENDS: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** Options of `useBackend`, handed to every backend it tries. */
export interface UseBackendOptions {
  /** Where the wasm backend finds its `.wasm` files (browsers only; Node finds them itself). */
  wasmPaths?: string | Record<string, string>;
  /**
   * Threads of tfjs's threaded wasm build (where it runs: a cross-origin isolated page, or `wasmNode`),
   * which edet's own wasm kernels then split their work over too; set tfjs's own count with its
   * `setThreadsCount`. Default 1: edet's kernels run on the calling thread.
   */
  wasmThreads?: number;
  /**
   * Multiply-add with relaxed SIMD in edet's wasm convolutions where the runtime has it (see
   * `WasmKernelOptions.relaxedSimd` in `@edet/wasm-kernels`). Default false.
   */
  wasmRelaxedSimd?: boolean;
  /** Called for each backend that fails to start before one starts (e.g. to tell the user about a fallback). */
  onFailure?: (failure: BackendFailure) => void;
}

/** Why one backend did not start. */
export interface BackendFailure {
  backend: string;
  reason: string;
}

/**
 * A tfjs backend that `useBackend` can start: what each `@edet/model/backends/<name>` entry exports. Importing
 * that entry registers the backend with tfjs (its package's side effect); nothing starts until `useBackend`
 * picks it.
 */
export interface BackendLoader {
  /** The name tfjs registers the backend under. */
  readonly name: BackendName;
  /** Why the backend cannot start here, found before tfjs tries (tfjs would only log a warning), or `undefined`. */
  unavailable?(): Promise<string | undefined>;
  /** Readies the backend before tfjs starts it (e.g. the wasm files' location and edet's wasm kernels). */
  prepare?(options: UseBackendOptions): void | Promise<void>;
}
