import { resolve } from 'node:path';

import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';

import { CHROMIUM_ARGS, CHROMIUM_PATH, assertChromium } from './tooling/test/chromium.js';
import { workspaceAliases } from './tooling/vitest.preset.js';

// The model packages' own test files, run in headless Chromium on WebGL and on WebGPU (SwiftShader where
// there is no GPU): `npx pnpm@10.34.8 test:browser`. Tolerances are the Node ones on cpu/wasm and at least
// 1e-3 relative on the GPU backends (tooling/test/tolerance.ts). Files are excluded per backend only with a
// reason, as tfjs's own per-backend test setups do; everything here needs nothing from Node (no files,
// no child processes, no Buffer).

assertChromium();

/** Run on both backends. */
const SHARED = [
  'packages/anchors/test/assign.test.ts',
  'packages/anchors/test/box-coding.test.ts',
  'packages/anchors/test/nms.test.ts',
  'packages/anchors/test/postprocess.test.ts',
  'packages/anchors/test/bad-options.test.ts',
  'packages/losses/test/{focal-loss,focal-loss-normalized,huber-loss,iou-losses,smooth-l1-loss}.test.ts',
  'packages/tensor/test/fused-batch-norm.test.ts',
  'packages/tensor/test/batch-norm-fold.test.ts',
  'packages/tensor/test/squeeze-excite.test.ts',
  'packages/tensor/test/gradients-indexing.test.ts',
  'packages/tensor/test/gradients-shape.test.ts',
  'packages/safetensors/test/safetensors-{bytes,float16,parse,roundtrip,validation,hostile}.test.ts',
  'packages/backbone-efficientnet/test/plan.test.ts',
  'packages/model/test/bad-options.test.ts',
  // Lite0 at 320 against effdet's golden (one forward pass per backend; the files come from ../shared).
  'packages/model/test/golden-effdet-gpu.browser.test.ts',
  // One training step of a reduced D0 (WebGL: 128 px, batch 2; WebGPU: 64 px, batch 4) against the same step
  // on wasm in the same page.
  'packages/model/test/train-step-parity.browser.test.ts',
  'packages/coco-eval/test/{eval-unit,model-results,bad-options}.test.ts',
  'packages/data/test/{dataset-core,placement-batches}.test.ts',
  'packages/train/test/{train-optim,train-epochs}.test.ts',
];

/**
 * WebGL only. WebGPU on SwiftShader runs a D0-sized forward pass ~5x slower than WebGL (backbone forward
 * 68 s, model memory > 120 s), and tfjs-backend-webgpu 4.22 gaps: NonMaxSuppressionV4 has no webgpu
 * kernel (gradients-elementwise); the Prod, Cumsum (exclusive/reverse) and FusedBatchNorm gradient checks
 * fail there, after which the device is lost (gradients-reduction); in gradients-conv a stride-2 Conv2D with
 * explicit pads gives a wrong forward value (its finite difference is off by ~9), after which the device is
 * lost and every later test in the page fails (gradients-pooling and gradients-training, run after it, have
 * not been tried alone on WebGPU). A training step of edet's own layers does not meet these faults:
 * train-step-parity holds WebGPU's step to wasm's.
 */
const WEBGL_ONLY = [
  'packages/tensor/test/gradients-elementwise.test.ts',
  'packages/tensor/test/gradients-reduction.test.ts',
  // Typed errors and tensors freed after failed calls: the checks do not depend on the backend, and the D0
  // passes they make on WebGPU (50 s on SwiftShader) are what train-step-parity runs there too.
  'packages/model/test/errors.test.ts',
  'packages/backbone-efficientnet/test/forward.test.ts',
  'packages/model/test/loss.test.ts',
  'packages/model/test/memory.test.ts',
  // Trains on wasm inside a Web Worker whatever the page's backend: once is enough.
  'packages/train/test/training-in-worker.browser.test.ts',  // Reads .pth bytes with no backend of its own (fflate, the pickle reader): once is enough.
  'packages/pth/test/pth-{bad-files,structure}.test.ts',
];

// Not in browser mode, on either backend:
// - coco-eval's eval-golden and node-files tests (read fixtures and write files; the evaluator they check
//   runs in eval-unit and model-results here); data's data-coco, data-voc and data-pipeline tests (read
//   dataset folders and decode image files with @napi-rs/canvas; data-pipeline also holds the renderer to
//   letterboxImage at the cpu/wasm tolerance, 1e-4).
// - anchors.test.ts (uses Node's Buffer), *-golden / checkpoint / jpeg-path / rwightman-layout /
//   backbone checkpoint-keys and stages / safetensors-shared / pth-fixtures / gradients-node (read files or
//   spawn Node),
//   smoke.test.ts (asserts the Node default backend, wasm), training-randomness.test.ts (the drop masks come
//   from a seeded generator in JavaScript; forward.test.ts runs the layers here), model-gradients.test.ts (wasm by design),
//   @edet/wasm-kernels' tests (wasm kernels), backend-bundle.test.ts (runs esbuild), presets.test.ts (D0-D7x:
//   minutes on SwiftShader), @edet/train's parallel-step.test.ts (Node worker threads) and
//   trainer-checkpoint.test.ts (Node-free, but three models and an optimizer update take 30-50 s on SwiftShader).
// - gradients-pooling and gradients-training: pass on WebGL (about 27 s and 17 s) but are left out for time:
//   the placement their gradients needed at rank 4 or below (tfjs-backend-webgl's packed pad shader does not
//   compile above rank 4) is checked in gradients-indexing and gradients-shape on both backends, and
//   train-step-parity runs the pooling gradients of a training step.
// - gradients-conv: passes on WebGL (about 40 s) but is left out for time: there the convolution gradients run
//   tfjs's backward kernels, which train-step-parity covers, and the forward-op fallbacks it also checks are
//   the ones wasm runs, checked in Node. WebGPU: see WEBGL_ONLY.

/** ../shared (goldens), which the test server may serve (under /@fs) to golden-effdet-gpu.browser.test.ts. */
const SHARED_ROOT = resolve(import.meta.dirname, '..', 'shared');

export default defineConfig({
  resolve: { alias: workspaceAliases(import.meta.dirname) },
  server: { fs: { allow: [import.meta.dirname, SHARED_ROOT] } },
  // Pre-bundle only what these files reach: a cold scan of the whole repository also finds the Node-only
  // tests and tries to bundle @napi-rs/canvas's native binary.
  optimizeDeps: { entries: [...SHARED, ...WEBGL_ONLY, 'tooling/test/setup-browser-backend.ts'], exclude: ['@napi-rs/canvas'] },
  test: {
    setupFiles: ['tooling/test/setup-browser-backend.ts'],
    // All of a project's files in one page, one after another: the backend, and the GPU programs it has
    // compiled, carry over from file to file. Compiling a D0's programs costs 20-30 s on SwiftShader, and the
    // backbone, errors and loss tests run the same network at the same shapes (batch 2 at 128). Tests
    // compare tensor counts with their own start, so what an earlier file holds does not matter.
    isolate: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    browser: {
      enabled: true,
      headless: true,
      screenshotFailures: false,
      provider: playwright({ launchOptions: { executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] } }),
      instances: [
        { browser: 'chromium', name: 'webgl', provide: { backend: 'webgl', sharedRoot: SHARED_ROOT }, include: [...SHARED, ...WEBGL_ONLY] },
        { browser: 'chromium', name: 'webgpu', provide: { backend: 'webgpu', sharedRoot: SHARED_ROOT }, include: SHARED },
      ],
    },
  },
});
