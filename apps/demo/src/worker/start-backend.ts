import { NoBackendError, useBackend, type BackendName } from '@edet/tensor';

import type { BackendInfo } from '../protocol.js';

// `useBackend` imports the WebGL and WebGPU packages by a computed name (so that Node apps never bundle
// them), which a bundler cannot follow: the demo imports them itself. Importing only registers a factory;
// nothing starts until `useBackend` picks the backend.
const registrars: Partial<Record<BackendName, () => Promise<unknown>>> = {
  webgl: () => import('@tensorflow/tfjs-backend-webgl'),
  webgpu: () => import('@tensorflow/tfjs-backend-webgpu'),
};

/**
 * Why WebGPU cannot start here, found before tfjs tries (tfjs then only logs a warning), or `undefined`.
 * Chromium on Linux, for one, offers no adapter unless started with `--enable-unsafe-webgpu`.
 */
async function webgpuUnavailable(): Promise<string | undefined> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (gpu === undefined) return 'this browser has no WebGPU (navigator.gpu is missing)';
  if ((await gpu.requestAdapter()) === null) return 'no WebGPU adapter (no usable GPU, or WebGPU is switched off)';
  return undefined;
}

/**
 * Starts the first backend of `preferences` that works. The first one (the user's choice) is tried on its
 * own, so that if it fails the page can say why; the rest are the fallbacks, in order.
 * @param wasmPaths absolute URL of the folder holding tfjs's `.wasm` files
 * @throws NoBackendError listing every backend's failure when none starts
 */
export async function startBackend(preferences: readonly BackendName[], wasmPaths: string): Promise<BackendInfo> {
  const [requested, ...fallbacks] = preferences;
  // A package that fails to load just registers nothing; useBackend then reports that backend as failed.
  await Promise.all(preferences.map((name) => registrars[name]?.().catch(() => undefined)));
  try {
    const reason = requested === 'webgpu' ? await webgpuUnavailable() : undefined;
    if (reason !== undefined) throw new NoBackendError([{ backend: requested, reason }]);
    return { requested, active: await useBackend([requested], { wasmPaths }), failures: [] };
  } catch (error) {
    if (!(error instanceof NoBackendError)) throw error;
    try {
      return { requested, active: await useBackend(fallbacks, { wasmPaths }), failures: error.failures };
    } catch (fallbackError) {
      if (!(fallbackError instanceof NoBackendError)) throw fallbackError;
      throw new NoBackendError([...error.failures, ...fallbackError.failures]);
    }
  }
}
