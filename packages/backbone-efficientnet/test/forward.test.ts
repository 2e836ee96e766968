import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';

import { InvalidArgumentError } from '@edet/tensor';

import { EfficientNet, EfficientNetBackbone } from '../src/index.js';

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

describe('forward (B0)', () => {
  const baseline = tf.memory().numTensors;
  const backbone = new EfficientNetBackbone({ variant: 0, seed: 1 });
  const classifier = new EfficientNet({ variant: 0, numClasses: 10, seed: 1 });
  // Inference passes fold the batch norms into their convolutions and keep the folded weights.
  const cached = () => backbone.cachedTensorCount() + classifier.cachedTensorCount();
  // Batch 2 at 128, as the D0 tests in @edet/model (errors, loss): in browser mode the GPU backends reuse the
  // backbone's programs compiled there (or here) instead of compiling a second set.
  const x = tf.randomNormal([2, 128, 128, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
  afterAll(() => {
    x.dispose();
    backbone.dispose();
    classifier.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('backbone returns C3/C4/C5 at 1/8, 1/16, 1/32 (TF SAME: sizes round up)', () => {
    const before = tf.memory().numTensors - cached();
    const pyramid = backbone.forward(x);
    expect(pyramid.map((t) => t.shape)).toEqual([
      [2, 16, 16, 40],
      [2, 8, 8, 112],
      [2, 4, 4, 320],
    ]);
    tf.dispose(pyramid);
    const odd = tf.zeros([1, 65, 65, 3]) as tf.Tensor4D;
    const oddPyramid = backbone.forward(odd);
    expect(oddPyramid.map((t) => t.shape.slice(1, 3))).toEqual([
      [9, 9],
      [5, 5],
      [3, 3],
    ]);
    tf.dispose([...oddPyramid, odd]);
    expect(tf.memory().numTensors).toBe(before + cached());
  });

  it('classifier returns logits [N, numClasses] and head features [N, H/32, W/32, 1280]', () => {
    const before = tf.memory().numTensors - cached();
    const logits = classifier.forward(x);
    const features = classifier.extractFeatures(x);
    expect(logits.shape).toEqual([2, 10]);
    expect(features.shape).toEqual([2, 4, 4, 1280]);
    expect(logits.dataSync().every(Number.isFinite)).toBe(true);
    tf.dispose([logits, features]);
    expect(tf.memory().numTensors).toBe(before + cached());
  });

  it('training mode uses batch statistics and updates running stats; eval does neither', () => {
    const before = tf.memory().numTensors - cached();
    const runningMean = () => Array.from(backbone.bn0.runningMean.dataSync());
    const initial = runningMean();
    const evalOut = backbone.forward(x);
    expect(runningMean()).toEqual(initial);
    backbone.train();
    const trainOut = backbone.forward(x);
    backbone.eval();
    expect(runningMean()).not.toEqual(initial);
    expect(maxAbsDiff(evalOut[0], trainOut[0])).toBeGreaterThan(1e-3);
    tf.dispose([...evalOut, ...trainOut]);
    expect(tf.memory().numTensors).toBe(before + cached());
  });

  it('state dict round trips keep the output and leak nothing', () => {
    const before = tf.memory().numTensors - cached();
    const first = classifier.forward(x);
    for (let i = 0; i < 2; i++) {
      const state = classifier.stateDict();
      classifier.loadStateDict(state);
      tf.dispose(Object.values(state));
    }
    const second = classifier.forward(x);
    expect(maxAbsDiff(first, second)).toBe(0);
    tf.dispose([first, second]);
    expect(tf.memory().numTensors).toBe(before + cached());
  });

  it('rejects bad input with InvalidArgumentError naming x', () => {
    const before = tf.memory().numTensors - cached();
    const bad = [tf.zeros([64, 64, 3]), tf.zeros([1, 64, 64, 4]), tf.zeros([1, 64, 64, 1]), tf.zeros([1, 64, 64, 3], 'int32')];
    for (const input of bad) {
      expect(() => backbone.forward(input as tf.Tensor4D)).toThrow(InvalidArgumentError);
      expect(() => classifier.forward(input as tf.Tensor4D)).toThrow(/^x: expected (a rank-4 tensor \[N, H, W, 3\]|3 channels on axis 3 \[N, H, W, 3\]|dtype float32), got /);
    }
    expect(() => backbone.forward(bad[1] as tf.Tensor4D)).toThrow(/^x: expected 3 channels on axis 3 \[N, H, W, 3\], got shape \[1,64,64,4\]$/);
    expect(() => backbone.forward(bad[0] as tf.Tensor4D)).toThrow(/^x: expected a rank-4 tensor \[N, H, W, 3\], got shape \[64,64,3\]$/);
    expect(() => backbone.forward(bad[3] as tf.Tensor4D)).toThrow(/^x: expected dtype float32, got dtype int32$/);
    tf.dispose(bad);
    expect(tf.memory().numTensors).toBe(before + cached());
  });
});
