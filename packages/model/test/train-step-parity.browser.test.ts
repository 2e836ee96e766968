// Browser mode only (vitest.browser.config.ts, both projects): one training step of a small seeded model on
// the page's backend (WebGL or WebGPU) against the same step on tfjs's wasm backend in the same page, from the
// same weights: forward in training mode (batch statistics, the seeded drop-connect draws), focal + Huber
// loss, every gradient, one SGD update, the batch-norm running statistics. The wasm step is the reference:
// the Node suites hold wasm to cpu's float64-accumulating kernels and to finite differences
// (model-gradients.test.ts, packages/tensor/test/gradients-*). Tolerances and how the update error is
// measured: ./support/step-parity.ts.
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, expect, it } from 'vitest';

import { EfficientDet, type TrainStepResult, trainStep, useBackend } from '@edet/model';
import { wasm } from '@edet/model/backends/wasm';
import { Sgd } from '@edet/tensor';

import { PARITY_TOLERANCE, type StepState, largestUpdateError } from './support/step-parity.js';

const pageBackend = tf.getBackend();
// Shaders that take their shapes as uniforms are compiled once for many shapes: a step's first run on
// SwiftShader's WebGL took 177 s without (a Lite0 of this size), 64 s with. Only the programs' inputs change,
// not what they compute. Put back after this file, for the files that share the page.
const shapeUniforms = tf.env().getBool('WEBGL_USE_SHAPES_UNIFORMS');
if (pageBackend === 'webgl') tf.env().set('WEBGL_USE_SHAPES_UNIFORMS', true);
const tolerance = PARITY_TOLERANCE[pageBackend];
const wasmPaths = {
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
};

// The reduced D0 of the loss and memory tests (one BiFPN and one head layer; swish, squeeze-excitation,
// drop-connect), at the same shapes so that the suite compiles the forward programs once. 128 px keeps P7 at
// 2x2: batch norm's statistics there still average 8 values per channel (batch 2). (Lite0 at this size
// agreed as closely in loss, but an update differed by up to 1e-2 of its size on WebGPU, 3.6e-2 at 64 px on
// WebGL; probably relu6, whose gradient is a step at 0 and 6: a value within rounding of one takes the other
// branch on the other backend.)
const build = () => new EfficientDet({ compoundCoef: 0, numClasses: 3, fpnLayers: 1, headLayers: 1, seed: 11 });
// WebGPU runs neither the loss nor the memory test, so there is nothing to share: batch 4 at 64 px, half the
// pixels of batch 2 at 128 (whose step, 143 s on SwiftShader's WebGPU, was the browser suite's longest test),
// and twice the images over which P6's and P7's batch statistics are taken.
const { batch, size } = pageBackend === 'webgpu' ? { batch: 4, size: 64 } : { batch: 2, size: 128 };
/** Boxes (x1, y1, x2, y2, class) on a 128-px image, scaled to `size`; image i has BOXES[i % 2]. */
const BOXES = [
  [
    [10, 12, 60, 70, 1],
    [64, 64, 120, 100, 2],
  ],
  [[30, 30, 100, 96, 1]],
];

/**
 * The model's state (parameters and running statistics) read back to the CPU, by checkpoint key. Read
 * asynchronously: WebGPU's synchronous read-back copies each tensor through a canvas, which for the ~460
 * tensors took 7.7 s on SwiftShader against 1.2 s for `data()`.
 */
async function readState(model: EfficientDet): Promise<StepState> {
  const state = model.stateDict();
  try {
    const names = Object.keys(state);
    const data = await Promise.all(names.map((name) => state[name].data()));
    return new Map(names.map((name, i) => [name, Float32Array.from(data[i] as Float32Array)]));
  } finally {
    tf.dispose(Object.values(state));
  }
}

/** Runs one step on the active backend from `initial` and returns its losses and the state after it. */
async function stepFrom(initial: StepState): Promise<{ losses: TrainStepResult; after: StepState }> {
  const model = build();
  const optimizer = new Sgd({ learningRate: 0.01 });
  const start = tf.memory().numTensors;
  const x = tf.randomUniform([batch, 3, size, size], -1, 1, 'float32', 5) as tf.Tensor4D;
  const scale = size / 128;
  const targets = Array.from({ length: batch }, (_, i) => tf.tensor2d(BOXES[i % 2].map(([x1, y1, x2, y2, c]) => [x1 * scale, y1 * scale, x2 * scale, y2 * scale, c])));
  try {
    const current = model.stateDict();
    const weights = Object.fromEntries(Object.entries(current).map(([name, tensor]) => [name, tf.tensor(initial.get(name) as Float32Array, tensor.shape)]));
    model.loadStateDict(weights);
    tf.dispose([...Object.values(current), ...Object.values(weights)]);
    const losses = trainStep(model, optimizer, x, targets, { boxLoss: 'huber' });
    const after = await readState(model);
    tf.dispose([x, ...targets]);
    // The optimizer's per-variable state lives until the optimizer is disposed.
    optimizer.dispose();
    expect(tf.memory().numTensors - model.cachedTensorCount()).toBe(start);
    return { losses, after };
  } finally {
    tf.dispose([x, ...targets]);
    optimizer.dispose();
    model.dispose();
  }
}

afterAll(async () => {
  await tf.setBackend(pageBackend);
  tf.env().set('WEBGL_USE_SHAPES_UNIFORMS', shapeUniforms);
});

it(`one training step on ${pageBackend} gives wasm's loss and update`, async () => {
  const initialModel = build();
  const initial = await readState(initialModel);
  initialModel.dispose();

  const page = await stepFrom(initial);
  expect(await useBackend([wasm], { wasmPaths })).toBe('wasm');
  const reference = await stepFrom(initial);
  await tf.setBackend(pageBackend);

  for (const part of ['loss', 'classificationLoss', 'boxLoss'] as const) {
    const relative = Math.abs(page.losses[part] - reference.losses[part]) / Math.abs(reference.losses[part]);
    expect(relative, `${part}: ${page.losses[part]} against wasm's ${reference.losses[part]}`).toBeLessThan(tolerance.loss);
  }
  const worst = largestUpdateError(initial, page.after, reference.after);
  expect(worst.error, `the update of ${worst.name}`).toBeLessThan(tolerance.update);
}, 240_000);
