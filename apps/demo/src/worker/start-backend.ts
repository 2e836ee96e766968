import { type BackendFailure, type BackendLoader, type BackendName, useBackend } from '@edet/model';

import type { BackendInfo } from '../protocol.js';
import { allowWasmThreads } from './wasm-threads.js';

// Each backend's code loads only when it is among the preferences (a separate chunk of the worker).
const imports: Record<BackendName, (wasmThreads: number) => Promise<BackendLoader>> = {
  webgpu: async () => (await import('@edet/model/backends/webgpu')).webgpu,
  webgl: async () => (await import('@edet/model/backends/webgl')).webgl,
  wasm: async (wasmThreads) => {
    const [{ wasm }, { setThreadsCount }] = await Promise.all([import('@edet/model/backends/wasm'), import('@tensorflow/tfjs-backend-wasm')]);
    return {
      ...wasm,
      // Only when wasm is the one tried: tfjs reads the count once, as it starts XNNPACK's thread pool.
      prepare(options) {
        setThreadsCount(wasmThreads);
        allowWasmThreads(wasmThreads);
        return wasm.prepare?.(options);
      },
    };
  },
  cpu: async () => (await import('@edet/model/backends/cpu')).cpu,
};

/** The backend's loader, or one that reports why its code could not be loaded. */
async function loaderOf(name: BackendName, wasmThreads: number): Promise<BackendLoader> {
  try {
    return await imports[name](wasmThreads);
  } catch (error) {
    const reason = `its code did not load (${error instanceof Error ? error.message : String(error)})`;
    return { name, unavailable: async () => reason };
  }
}

/**
 * Starts the first backend of `preferences` that works (the user's choice first, then the fallbacks in
 * order), and says which backends failed before it, so that the page can say why it fell back.
 * @param wasmPaths absolute URL of the folder holding tfjs's `.wasm` files
 * @param wasmThreads the threads to start wasm with (`wasmThreadCount`); tfjs takes its threaded build only
 *   when the page is cross-origin isolated, and the count it reports then is the one in use
 * @throws NoBackendError listing every backend's failure when none starts
 */
export async function startBackend(preferences: readonly BackendName[], wasmPaths: string, wasmThreads: number): Promise<BackendInfo> {
  const loaders = await Promise.all(preferences.map((name) => loaderOf(name, wasmThreads)));
  const failures: BackendFailure[] = [];
  const active = await useBackend(loaders, { wasmPaths, wasmThreads, onFailure: (failure) => failures.push(failure) });
  if (active !== 'wasm') return { requested: preferences[0], active, failures };
  const { getThreadsCount } = await import('@tensorflow/tfjs-backend-wasm');
  return { requested: preferences[0], active, failures, threads: getThreadsCount() };
}
