// Parity with effdet (rwightman/efficientdet-pytorch) itself, for the official TF numerics and effdet's key
// layout (../shared/golden/effdet-synthetic, see its README): effdet-written tf_efficientdet_d0 (512) and
// tf_efficientdet_lite0 (320: relu6, plain sums, EfficientNet-Lite, anchor scale 3, a size that is not a
// multiple of 128) checkpoints load with -inf max-pool padding, and every backbone and BiFPN map, the scores
// (after the sigmoid), the box deltas and the anchors match effdet's. With zylo117's zero padding they do not.
// On wasm and cpu here; golden-effdet-gpu.browser.test.ts holds WebGL and WebGPU to Lite0's golden.
import { readFileSync } from 'node:fs';

import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { EfficientDet, loadCheckpoint, useBackend } from '@edet/model';
import { cpu } from '@edet/model/backends/cpu';
import { wasm } from '@edet/model/backends/wasm';
import { readSafetensors } from '@edet/safetensors';

import { sharedPath } from '../../tensor/test/shared-fixtures.js';

// Maps: relative to the map's largest magnitude. The random weights drive maps to |x| ~ 60 (Lite0's C4), where
// float32 accumulation in another order (effdet on PyTorch, tfjs on cpu and wasm alike) differs by ~2e-4
// absolute, up to 2.3e-5 relative (Lite0 P5); the same noise reaches Lite0's scores as ~1.2e-4. A wrong convention (padding,
// activation, resampling) shows as 1e-3 and more.
const MAP_RELATIVE_TOLERANCE = 5e-5;
const HEAD_TOLERANCE = { tf_efficientdet_d0: 1e-4, tf_efficientdet_lite0: 2e-4 };
const ANCHOR_TOLERANCE = 1e-3;

function maxAbsDiff(actual: tf.Tensor, expected: tf.Tensor): number {
  expect(actual.shape).toEqual(expected.shape);
  return tf.tidy(() => tf.max(tf.abs(tf.sub(actual, expected))).dataSync()[0]);
}

const toNchw = (x: tf.Tensor4D) => tf.transpose(x, [0, 3, 1, 2]);

// Both models on both Node backends; the contrast with zero padding (a property of the weights, not of the
// backend) once, on wasm, as are the maps level by level.
describe.each([
  ['tf_efficientdet_d0', 49104, 'wasm'],
  ['tf_efficientdet_lite0', 19206, 'wasm'],
  ['tf_efficientdet_d0', 49104, 'cpu'],
  ['tf_efficientdet_lite0', 19206, 'cpu'],
] as const)('%s (effdet) golden parity on %s', (name, anchorCount, backend) => {
  let model: EfficientDet;
  let golden: Record<string, tf.Tensor>;
  let weights: Uint8Array;
  let startTensors: number;

  beforeAll(async () => {
    await useBackend([{ wasm, cpu }[backend]]);
    weights = readFileSync(sharedPath('golden', 'effdet-synthetic', name, 'weights.safetensors'));
    golden = readSafetensors(readFileSync(sharedPath('golden', 'effdet-synthetic', name, 'golden.safetensors'))).tensors;
    // Unset poolPadding: the checkpoint's layout decides.
    model = EfficientDet.fromPreset(name, { poolPadding: undefined });
    const loaded = loadCheckpoint(model, weights, { source: `${name}/weights.safetensors` });
    expect(loaded).toEqual({ layout: 'rwightman', poolPadding: 'neg-inf' });
    startTensors = tf.memory().numTensors;
  });

  afterAll(() => {
    model?.dispose();
    tf.dispose(Object.values(golden ?? {}));
  });

  it('takes -inf max-pool padding from the effdet layout, visible in its config', () => {
    expect(model.config.poolPadding).toBe('neg-inf');
    expect(model.poolPadding).toBe('neg-inf');
  });

  // The maps locate a mismatch; on wasm only. On cpu (12 s for D0) the outputs below carry the check: every
  // map feeds them, and a map off by more than the tolerance would move them too.
  if (backend === 'wasm') it('backbone and BiFPN maps match level by level', () => {
    const { backbone, fpn } = model.extractFeatures(golden.input as tf.Tensor4D);
    const names = ['backbone_c3', 'backbone_c4', 'backbone_c5', 'fpn_p3', 'fpn_p4', 'fpn_p5', 'fpn_p6', 'fpn_p7'];
    const maps = [...backbone, ...fpn];
    const scale = (map: string) => tf.tidy(() => tf.max(tf.abs(golden[map])).dataSync()[0]);
    const diffs = Object.fromEntries(names.map((map, i) => [map, tf.tidy(() => maxAbsDiff(toNchw(maps[i]), golden[map])) / scale(map)]));
    tf.dispose(maps);
    for (const map of names) expect(diffs[map], map).toBeLessThan(MAP_RELATIVE_TOLERANCE);
    expect(tf.memory().numTensors).toBe(startTensors + model.cachedTensorCount());
  });

  it('scores, box deltas and anchors match', () => {
    const [classification, regression, anchors] = model.forward(golden.input as tf.Tensor4D);
    try {
      const scores = tf.tidy(() => tf.expandDims(tf.sigmoid(golden.class_logits), 0));
      const deltas = tf.tidy(() => tf.expandDims(golden.box_deltas, 0));
      const scoreDiff = maxAbsDiff(classification, scores);
      const deltaDiff = maxAbsDiff(regression, deltas);
      tf.dispose([scores, deltas]);
      expect(scoreDiff).toBeLessThan(HEAD_TOLERANCE[name]);
      expect(deltaDiff).toBeLessThan(HEAD_TOLERANCE[name]);
      expect(anchors.shape).toEqual([anchorCount, 4]);
      expect(maxAbsDiff(anchors, golden.anchors)).toBeLessThan(ANCHOR_TOLERANCE);
    } finally {
      tf.dispose([classification, regression, anchors]);
    }
    expect(tf.memory().numTensors).toBe(startTensors + model.cachedTensorCount());
  });

  // Registered on wasm only (not skipped on cpu): it checks the weights' numerics, not the backend.
  if (backend === 'wasm') it("with zylo117's zero padding fixed in the config, the same weights miss effdet's scores", () => {
    const zeroPadded = EfficientDet.fromPreset(name, { poolPadding: 'zero' });
    try {
      expect(loadCheckpoint(zeroPadded, weights).poolPadding).toBe('neg-inf');
      expect(zeroPadded.config.poolPadding).toBe('zero');
      const [classification, regression, anchors] = zeroPadded.forward(golden.input as tf.Tensor4D);
      const scores = tf.tidy(() => tf.expandDims(tf.sigmoid(golden.class_logits), 0));
      const scoreDiff = maxAbsDiff(classification, scores);
      tf.dispose([classification, regression, anchors, scores]);
      expect(scoreDiff).toBeGreaterThan(1e-3);
    } finally {
      zeroPadded.dispose();
    }
    expect(tf.memory().numTensors).toBe(startTensors + model.cachedTensorCount());
  });
});
