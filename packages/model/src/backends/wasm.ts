// Importing the package registers the wasm backend with tfjs.
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernels } from '@edet/wasm-kernels';

// Which optional instruction paths edet's wasm kernels take here (relaxed SIMD's multiply-add), for reports.
export { wasmKernelFeatures, type WasmKernelFeatures } from '@edet/wasm-kernels';

import type { BackendLoader } from './backend-loader.js';

/**
 * tfjs's WebAssembly backend, with edet's wasm kernels (the backward kernels training needs, fused training
 * kernels, and fixes of slow or wrong ones) registered before it starts. Pass it to `useBackend`; its
 * `wasmPaths` option says where a browser finds the `.wasm` files, `wasmRelaxedSimd` whether its
 * convolutions multiply-add with relaxed SIMD, and `wasmThreads` how many threads
 * edet's kernels split their work over on the threaded build.
 */
export const wasm: BackendLoader = {
  name: 'wasm',
  prepare(options) {
    if (options.wasmPaths !== undefined) setWasmPaths(options.wasmPaths as string);
    registerWasmKernels({
      ...(options.wasmThreads === undefined ? {} : { threads: options.wasmThreads }),
      ...(options.wasmRelaxedSimd === undefined ? {} : { relaxedSimd: options.wasmRelaxedSimd }),
    });
  },
};
