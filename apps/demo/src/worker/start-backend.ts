import { type BackendFailure, type BackendLoader, type BackendName, useBackend } from '@edet/model';

import type { BackendInfo } from '../protocol.js';

// Each backend's code loads only when it is among the preferences (a separate chunk of the worker).
const imports: Record<BackendName, () => Promise<BackendLoader>> = {
  webgpu: async () => (await import('@edet/model/backends/webgpu')).webgpu,
  webgl: async () => (await import('@edet/model/backends/webgl')).webgl,
  wasm: async () => (await import('@edet/model/backends/wasm')).wasm,
  cpu: async () => (await import('@edet/model/backends/cpu')).cpu,
};

/** The backend's loader, or one that reports why its code could not be loaded. */
async function loaderOf(name: BackendName): Promise<BackendLoader> {
  try {
    return await imports[name]();
  } catch (error) {
    const reason = `its code did not load (${error instanceof Error ? error.message : String(error)})`;
    return { name, unavailable: async () => reason };
  }
}

/**
 * Starts the first backend of `preferences` that works (the user's choice first, then the fallbacks in
 * order), and says which backends failed before it, so that the page can say why it fell back.
 * @param wasmPaths absolute URL of the folder holding tfjs's `.wasm` files
 * @throws NoBackendError listing every backend's failure when none starts
 */
export async function startBackend(preferences: readonly BackendName[], wasmPaths: string): Promise<BackendInfo> {
  const loaders = await Promise.all(preferences.map(loaderOf));
  const failures: BackendFailure[] = [];
  const active = await useBackend(loaders, { wasmPaths, onFailure: (failure) => failures.push(failure) });
  return { requested: preferences[0], active, failures };
}
