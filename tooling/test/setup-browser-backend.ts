// Runs before every test file in browser mode (vitest.browser.config.ts): starts the backend of this
// browser instance. No fallback: a file that runs as "webgpu" must really run on WebGPU.
import { inject } from 'vitest';
// @edet/tensor loads these by a computed name that Vite cannot follow, so they are registered here.
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';

import { useBackend, type BackendName } from '../../packages/tensor/src/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The tfjs backend the browser-mode tests run on. */
    backend: BackendName;
  }
}

await useBackend([inject('backend')]);
