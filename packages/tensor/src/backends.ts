import * as tf from '@tensorflow/tfjs-core';

import { EdetError } from './errors.js';
import { registerWasmTrainingKernels } from './kernels/index.js';

/** The tfjs backends edet knows how to load. */
export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** Every backend edet supports, fastest first. */
export const ALL_BACKENDS: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** Thrown by `useBackend` when no backend in the list could start; `failures` says why for each. */
export class NoBackendError extends EdetError {
  constructor(readonly failures: { backend: string; reason: string }[]) {
    super(
      `no tfjs backend could be started; tried:\n${failures.map((f) => `  ${f.backend}: ${f.reason}`).join('\n')}`,
    );
  }
}

/** Options of `useBackend`. */
export interface UseBackendOptions {
  /** Where the wasm backend finds its `.wasm` files (browsers only; Node finds them itself). */
  wasmPaths?: string | Record<string, string>;
}

// Loaders import a backend package only when it is asked for, so a Node app never pulls in WebGL code.
const loaders: Record<BackendName, (options: UseBackendOptions) => Promise<void>> = {
  cpu: async () => {
    await import('@tensorflow/tfjs-backend-cpu');
  },
  wasm: async (options) => {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    if (options.wasmPaths !== undefined) wasm.setWasmPaths(options.wasmPaths as string);
    // The backend ships without several backward kernels (and with some wrong or slow ones): training needs these.
    registerWasmTrainingKernels();
  },
  webgl: async () => {
    await import(/* @vite-ignore */ '@tensorflow/tfjs-backend-' + 'webgl');
  },
  webgpu: async () => {
    await import(/* @vite-ignore */ '@tensorflow/tfjs-backend-' + 'webgpu');
  },
};

/**
 * Makes the first backend in `preferences` that starts the active tfjs backend and returns its name.
 * Each one is loaded on demand and tried in order; if none starts, throws `NoBackendError` listing every
 * backend's failure. Library code never calls this: apps and users do, once, before building models.
 */
export async function useBackend(
  preferences: readonly BackendName[] = ALL_BACKENDS,
  options: UseBackendOptions = {},
): Promise<BackendName> {
  const failures: { backend: string; reason: string }[] = [];
  for (const name of preferences) {
    if (!(name in loaders)) {
      failures.push({ backend: name, reason: `unknown backend (known: ${ALL_BACKENDS.join(', ')})` });
      continue;
    }
    try {
      if (tf.findBackendFactory(name) === null) await loaders[name](options);
      if (tf.findBackendFactory(name) === null) throw new Error('the package registered no backend');
      const started = await tf.setBackend(name);
      if (!started) throw new Error('initialisation failed (see the warning above)');
      await tf.ready();
      return name;
    } catch (error) {
      failures.push({ backend: name, reason: error instanceof Error ? error.message.split('\n')[0] : String(error) });
    }
  }
  throw new NoBackendError(failures);
}
