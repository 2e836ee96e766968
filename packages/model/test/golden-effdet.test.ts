// Parity with effdet (rwightman/efficientdet-pytorch) itself, for the official TF numerics and effdet's key
// layout (../shared/golden/effdet-synthetic, see its README): an effdet-written tf_efficientdet_d0
// checkpoint loads with -inf max-pool padding, and every backbone and BiFPN map, the scores (after the
// sigmoid), the box deltas and the anchors match effdet's. With zylo117's zero padding they do not.
import { readFileSync } from 'node:fs';

import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { EfficientDet, loadCheckpoint, useBackend } from '@edet/model';
import { wasm } from '@edet/model/backends/wasm';
import { readSafetensors } from '@edet/safetensors';

import { sharedPath } from '../../tensor/test/shared-fixtures.js';

const MAP_TOLERANCE = 2e-5;
const HEAD_TOLERANCE = 1e-4;
const ANCHOR_TOLERANCE = 1e-3;

function maxAbsDiff(actual: tf.Tensor, expected: tf.Tensor): number {
  expect(actual.shape).toEqual(expected.shape);
  return tf.tidy(() => tf.max(tf.abs(tf.sub(actual, expected))).dataSync()[0]);
}

const toNchw = (x: tf.Tensor4D) => tf.transpose(x, [0, 3, 1, 2]);

describe('tf_efficientdet_d0 (effdet) golden parity on wasm', () => {
  let model: EfficientDet;
  let golden: Record<string, tf.Tensor>;
  let weights: Uint8Array;
  let startTensors: number;

  beforeAll(async () => {
    await useBackend([wasm]);
    weights = readFileSync(sharedPath('golden', 'effdet-synthetic', 'tf_efficientdet_d0', 'weights.safetensors'));
    golden = readSafetensors(readFileSync(sharedPath('golden', 'effdet-synthetic', 'tf_efficientdet_d0', 'golden.safetensors'))).tensors;
    model = new EfficientDet({ compoundCoef: 0, numClasses: 90 });
    const loaded = loadCheckpoint(model, weights, { source: 'tf_efficientdet_d0/weights.safetensors' });
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

  it('backbone and BiFPN maps match level by level', () => {
    const { backbone, fpn } = model.extractFeatures(golden.input as tf.Tensor4D);
    const names = ['backbone_c3', 'backbone_c4', 'backbone_c5', 'fpn_p3', 'fpn_p4', 'fpn_p5', 'fpn_p6', 'fpn_p7'];
    const maps = [...backbone, ...fpn];
    const diffs = Object.fromEntries(names.map((name, i) => [name, tf.tidy(() => maxAbsDiff(toNchw(maps[i]), golden[name]))]));
    tf.dispose(maps);
    for (const name of names) expect(diffs[name], name).toBeLessThan(MAP_TOLERANCE);
    expect(tf.memory().numTensors).toBe(startTensors);
  });

  it('scores, box deltas and anchors match', () => {
    const [classification, regression, anchors] = model.forward(golden.input as tf.Tensor4D);
    try {
      const scores = tf.tidy(() => tf.expandDims(tf.sigmoid(golden.class_logits), 0));
      const deltas = tf.tidy(() => tf.expandDims(golden.box_deltas, 0));
      expect(maxAbsDiff(classification, scores)).toBeLessThan(HEAD_TOLERANCE);
      expect(maxAbsDiff(regression, deltas)).toBeLessThan(HEAD_TOLERANCE);
      expect(anchors.shape).toEqual([49104, 4]);
      expect(maxAbsDiff(anchors, golden.anchors)).toBeLessThan(ANCHOR_TOLERANCE);
      tf.dispose([scores, deltas]);
    } finally {
      tf.dispose([classification, regression, anchors]);
    }
    expect(tf.memory().numTensors).toBe(startTensors);
  });

  it("with zylo117's zero padding fixed in the config, the same weights miss effdet's scores", () => {
    const zeroPadded = new EfficientDet({ compoundCoef: 0, numClasses: 90, poolPadding: 'zero' });
    try {
      expect(loadCheckpoint(zeroPadded, weights).poolPadding).toBe('neg-inf');
      expect(zeroPadded.config.poolPadding).toBe('zero');
      const [classification, regression, anchors] = zeroPadded.forward(golden.input as tf.Tensor4D);
      const scores = tf.tidy(() => tf.expandDims(tf.sigmoid(golden.class_logits), 0));
      expect(maxAbsDiff(classification, scores)).toBeGreaterThan(HEAD_TOLERANCE);
      tf.dispose([classification, regression, anchors, scores]);
    } finally {
      zeroPadded.dispose();
    }
    expect(tf.memory().numTensors).toBe(startTensors);
  });
});
