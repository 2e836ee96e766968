// Browser mode only (vitest.browser.config.ts): effdet's tf_efficientdet_lite0 golden (../shared/golden/
// effdet-synthetic, see golden-effdet.test.ts, which holds wasm and cpu to it with every map) on the
// WebGL and WebGPU backends: the official TF numerics (-inf max-pool padding, relu6, plain sums, a 320 input
// that is not a multiple of 128) on shaders. One forward pass per backend: the scores, box deltas and
// anchors, within the GPU tolerance (tooling/test/tolerance.ts). The files come from the test server, which
// serves ../shared (the config passes its path as `sharedRoot`).
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';

import { EfficientDet, loadCheckpoint } from '@edet/model';
import { readSafetensors } from '@edet/safetensors';

import { GPU_RELATIVE_TOLERANCE } from '../../../tooling/test/tolerance.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The absolute path of ../shared, served by the test server under /@fs. */
    sharedRoot: string;
  }
}

const NAME = 'tf_efficientdet_lite0';

async function sharedFile(...parts: string[]): Promise<Uint8Array> {
  const path = [inject('sharedRoot'), 'golden', 'effdet-synthetic', NAME, ...parts].join('/');
  const response = await fetch(`/@fs${path}`);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status} (the effdet goldens live in ../shared)`);
  return new Uint8Array(await response.arrayBuffer());
}

/** Largest |actual - expected| over the largest |expected|, at least 1 (scores are in [0, 1]). */
function scaledDiff(actual: tf.Tensor, expected: tf.Tensor): number {
  expect(actual.shape).toEqual(expected.shape);
  return tf.tidy(() => tf.max(tf.abs(tf.sub(actual, expected))).dataSync()[0] / Math.max(1, tf.max(tf.abs(expected)).dataSync()[0]));
}

let model: EfficientDet;
let golden: Record<string, tf.Tensor>;

beforeAll(async () => {
  const [weights, goldenBytes] = await Promise.all([sharedFile('weights.safetensors'), sharedFile('golden.safetensors')]);
  golden = readSafetensors(goldenBytes).tensors;
  model = EfficientDet.fromPreset(NAME, { poolPadding: undefined });
  expect(loadCheckpoint(model, weights, { source: `${NAME}/weights.safetensors` })).toEqual({ layout: 'rwightman', poolPadding: 'neg-inf' });
}, 120_000);

afterAll(() => {
  model?.dispose();
  tf.dispose(Object.values(golden ?? {}));
});

it(`${NAME}: scores, box deltas and anchors match effdet's on ${tf.getBackend()}`, () => {
  const start = tf.memory().numTensors - model.cachedTensorCount();
  const [classification, regression, anchors] = model.forward(golden.input as tf.Tensor4D);
  try {
    const scores = tf.tidy(() => tf.expandDims(tf.sigmoid(golden.class_logits), 0));
    const deltas = tf.tidy(() => tf.expandDims(golden.box_deltas, 0));
    const [scoreDiff, deltaDiff] = [scaledDiff(classification, scores), scaledDiff(regression, deltas)];
    tf.dispose([scores, deltas]);
    expect(scoreDiff).toBeLessThan(GPU_RELATIVE_TOLERANCE);
    expect(deltaDiff).toBeLessThan(GPU_RELATIVE_TOLERANCE);
    expect(anchors.shape).toEqual([19206, 4]);
    // Anchors are computed the same way on every backend: the Node tolerance, in pixels.
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(anchors, golden.anchors))).dataSync()[0])).toBeLessThan(1e-3);
  } finally {
    tf.dispose([classification, regression, anchors]);
  }
  expect(tf.memory().numTensors - model.cachedTensorCount()).toBe(start);
}, 240_000);
