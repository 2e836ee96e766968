import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import { defineConfig } from 'vite';

import { workspaceAliases } from '../../tooling/vitest.preset.js';
import { CROSS_ORIGIN_ISOLATION_HEADERS } from './vite/isolation-headers.js';
import { staticDirectories } from './vite/static-directories.js';
import { tfjsThreadedFactory } from './vite/tfjs-threaded-factory.js';

const appRoot = import.meta.dirname;
const repositoryRoot = join(appRoot, '..', '..');
const require = createRequire(import.meta.url);
const wasmDist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
// The @edet/bccd-d0 package's folder (its model.json and weights), found as Node finds the package.
const bundledModelDirectory = dirname(require.resolve('@edet/bccd-d0/model.json'));

export default defineConfig({
  root: appRoot,
  // Relative URLs, so the built folder works from any path (a sub-folder of a static host included).
  base: './',
  // The workspace packages are bundled from their sources, as the tests run them: no build step first.
  resolve: { alias: workspaceAliases(repositoryRoot) },
  plugins: [
    staticDirectories([
      // Must match WASM_PATH, SAMPLES_PATH and MODEL_MANIFEST_PATH in src/config.ts.
      // All three builds: plain, SIMD, and threaded SIMD (taken when the page is cross-origin isolated).
      { url: 'tfjs-wasm/', directory: wasmDist, include: (name) => name.endsWith('.wasm') },
      { url: 'samples/', directory: join(repositoryRoot, 'apps', 'trainer', 'assets', 'samples'), include: () => true },
      // The CLI's default model, the @edet/bccd-d0 package (model.json is the demo's manifest too).
      {
        url: 'models/bccd-d0/',
        directory: bundledModelDirectory,
        include: (name) => name === 'model.json' || name.endsWith('.safetensors'),
      },
    ]),
  ],
  // Cross-origin isolated, so the wasm backend can run on several threads (a static host must send them too).
  server: { headers: { ...CROSS_ORIGIN_ISOLATION_HEADERS } },
  preview: { headers: { ...CROSS_ORIGIN_ISOLATION_HEADERS } },
  // ES module workers can import lazily (the WebGL and WebGPU backends load only when chosen).
  // The worker bundle gets only these plugins (the ones above apply to the page and, in dev, to workers).
  worker: { format: 'es', plugins: () => [tfjsThreadedFactory()] },
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2048 },
});
