import * as tf from '@tensorflow/tfjs-core';
import { EdetError } from '@edet/tensor';

import type { BackendFailure, BackendLoader, BackendName, UseBackendOptions } from './backend-loader.js';

/** Thrown by `useBackend` when no backend in the list could start; `failures` says why for each. */
export class NoBackendError extends EdetError {
  constructor(readonly failures: BackendFailure[]) {
    super(
      `no tfjs backend could be started; tried:\n${failures.map((f) => `  ${f.backend}: ${f.reason}`).join('\n')}`,
    );
  }
}

/** The first line of what went wrong, for a one-line failure. */
function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] : String(error);
}

/**
 * Makes the first backend in `backends` that starts the active tfjs backend and returns its name. Pass the
 * loaders of the `@edet/model/backends/*` entries you imported, fastest first:
 *
 * ```ts
 * import { useBackend } from '@edet/model';
 * import { webgpu } from '@edet/model/backends/webgpu';
 * import { wasm } from '@edet/model/backends/wasm';
 * await useBackend([webgpu, wasm], { wasmPaths: '/tfjs/' });
 * ```
 *
 * Each is tried in order; if none starts, throws `NoBackendError` listing every backend's failure. Library
 * code never calls this: apps and users do, once, before building models. Only the backends passed in are
 * bundled, so a WebGPU app carries no wasm or cpu backend code.
 */
export async function useBackend(backends: readonly BackendLoader[], options: UseBackendOptions = {}): Promise<BackendName> {
  const failures: BackendFailure[] = [];
  for (const backend of backends) {
    try {
      const unavailable = await backend.unavailable?.();
      if (unavailable !== undefined) throw new Error(unavailable);
      await backend.prepare?.(options);
      if (tf.findBackendFactory(backend.name) === null) throw new Error('the package registered no backend');
      const started = await tf.setBackend(backend.name);
      if (!started) throw new Error('initialisation failed (see the warning above)');
      await tf.ready();
      return backend.name;
    } catch (error) {
      const failure = { backend: backend.name, reason: reasonOf(error) };
      failures.push(failure);
      options.onFailure?.(failure);
    }
  }
  throw new NoBackendError(failures);
}
