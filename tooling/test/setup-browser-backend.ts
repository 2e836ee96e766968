// Runs before every test file in browser mode (vitest.browser.config.ts): starts the backend of this
// browser instance. No fallback: a file that runs as "webgpu" must really run on WebGPU.
import { inject } from 'vitest';
import { type BackendName, useBackend } from '../../packages/model/src/index.js';
import { webgl } from '../../packages/model/src/backends/webgl.js';
import { webgpu } from '../../packages/model/src/backends/webgpu.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The tfjs backend the browser-mode tests run on. */
    backend: BackendName;
  }
}

const loaders = { webgl, webgpu } as const;
await useBackend([loaders[inject('backend') as keyof typeof loaders]]);
