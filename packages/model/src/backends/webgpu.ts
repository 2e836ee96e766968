// Importing the package registers the webgpu backend with tfjs.
import '@tensorflow/tfjs-backend-webgpu';

import type { BackendLoader } from './backend-loader.js';

/**
 * tfjs's WebGPU backend (browsers). Pass it to `useBackend`. Before tfjs tries it, it checks for an adapter:
 * Chromium on Linux, for one, offers none unless started with `--enable-unsafe-webgpu`, and tfjs then only
 * logs a warning.
 */
export const webgpu: BackendLoader = {
  name: 'webgpu',
  async unavailable() {
    const gpu = (globalThis.navigator as (Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }) | undefined)?.gpu;
    if (gpu === undefined) return 'this environment has no WebGPU (navigator.gpu is missing)';
    if ((await gpu.requestAdapter()) === null) return 'no WebGPU adapter (no usable GPU, or WebGPU is switched off)';
    return undefined;
  },
};
