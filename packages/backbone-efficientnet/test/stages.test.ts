import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';

import { StateDictError } from '@edet/tensor';

import { EfficientNet, EfficientNetBackbone } from '../src/index.js';
import { readSafetensors } from './helpers/shared-files.js';

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/** Bytes of every tensor of a state dict, for exact before/after comparisons; disposes the state dict. */
function snapshot(state: Record<string, tf.Tensor>): Map<string, Buffer> {
  const bytes = new Map(Object.entries(state).map(([name, t]) => [name, Buffer.from((t.dataSync() as Float32Array).buffer)]));
  tf.dispose(Object.values(state));
  return bytes;
}

function sameSnapshots(a: Map<string, Buffer>, b: Map<string, Buffer>): boolean {
  return a.size === b.size && [...a].every(([name, bytes]) => b.get(name)?.equals(bytes) === true);
}

describe('stages (B0)', () => {
  const baseline = tf.memory().numTensors;
  // The classifier plays the pre-trained network: it gets the synthetic checkpoint's backbone weights, whose
  // activations have realistic scale (a freshly initialised net in eval mode shrinks them towards 0).
  // The backbone is the freshly initialised detector part.
  const classifier = new EfficientNet({ variant: 0 });
  const backbone = new EfficientNetBackbone({ variant: 0 });
  // Inference passes fold the batch norms into their convolutions and keep the folded weights.
  const cached = () => backbone.cachedTensorCount() + classifier.cachedTensorCount();
  const prefix = 'backbone_net.model.';
  const checkpoint = readSafetensors('weights/efficientdet-d0-synthetic.safetensors', (name) => name.startsWith(prefix));
  const pretrained = Object.fromEntries(Object.entries(checkpoint).map(([name, t]) => [name.slice(prefix.length), t]));
  const loadResult = classifier.loadStateDict(pretrained, { strict: false });
  tf.dispose(Object.values(checkpoint));
  const x = tf.randomNormal([1, 64, 64, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
  afterAll(() => {
    x.dispose();
    classifier.dispose();
    backbone.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('the classifier took every checkpoint tensor; only its head was left as initialised', () => {
    expect(loadResult.unexpectedKeys).toEqual([]);
    expect(loadResult.missingKeys).toEqual([
      '_conv_head.conv.weight',
      '_bn1.weight',
      '_bn1.bias',
      '_bn1.running_mean',
      '_bn1.running_var',
      '_fc.weight',
      '_fc.bias',
    ]);
  });

  it('are stem + seven stages with stage-local keys', () => {
    expect(backbone.stages).toHaveLength(8);
    expect(classifier.stages).toHaveLength(8);
    const keys = (stage: number) => backbone.stages[stage].namedEntries().map((e) => e.name);
    expect(keys(0)).toEqual(['_conv_stem.conv.weight', '_bn0.weight', '_bn0.bias', '_bn0.running_mean', '_bn0.running_var']);
    expect(keys(1)[0]).toBe('0._depthwise_conv.conv.weight'); // expand ratio 1: no _expand_conv
    expect(keys(2)[0]).toBe('0._expand_conv.conv.weight');
    expect(keys(2).some((k) => k.startsWith('1.'))).toBe(true);
    expect(keys(6).some((k) => k.startsWith('3.'))).toBe(true);
    // Every backbone variable appears in exactly one stage.
    const stageTotal = backbone.stages.reduce((total, stage) => total + stage.parameterCount(), 0);
    expect(stageTotal).toBe(backbone.parameterCount());
  });

  it('migrate a classifier into the backbone stage by stage; C5 then equals the classifier feature path', () => {
    const before = tf.memory().numTensors - cached();
    const [c3Before, c4Before, c5Before] = backbone.forward(x);
    const reference = classifier.extractPyramid(x);
    expect(maxAbsDiff(c5Before, reference[2])).toBeGreaterThan(0.1);

    for (let s = 0; s < backbone.stages.length; s++) {
      const state = classifier.stages[s].stateDict();
      backbone.stages[s].loadStateDict(state);
      tf.dispose(Object.values(state));
    }

    const pyramid = backbone.forward(x);
    for (let level = 0; level < 3; level++) expect(maxAbsDiff(pyramid[level], reference[level])).toBe(0);
    // The same C5 by chaining the classifier's own stages.
    const chained = tf.tidy(() => classifier.stages.reduce((h, stage) => stage.forward(h), x));
    expect(maxAbsDiff(pyramid[2], chained)).toBe(0);

    tf.dispose([c3Before, c4Before, c5Before, ...pyramid, ...reference, chained]);
    expect(tf.memory().numTensors).toBe(before + cached());
  });

  it('loading stage 2 into stage 3 throws StateDictError and changes nothing', () => {
    const before = snapshot(backbone.stateDict());
    const wrong = classifier.stages[2].stateDict();
    expect(() => backbone.stages[3].loadStateDict(wrong)).toThrow(StateDictError);
    tf.dispose(Object.values(wrong));
    expect(sameSnapshots(snapshot(backbone.stateDict()), before)).toBe(true);
  });

  it('disposing a stage view frees nothing: the backbone owns the variables', () => {
    const before = tf.memory().numTensors - cached();
    backbone.stages[1].dispose();
    expect(tf.memory().numTensors).toBe(before + cached());
    const pyramid = backbone.forward(x);
    expect(pyramid[2].shape).toEqual([1, 2, 2, 320]);
    tf.dispose(pyramid);
  });
});
