import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';

import { EfficientNet, EfficientNetBackbone, efficientNetParameterCount, planEfficientNet } from '../src/index.js';
import { readKeyList } from './helpers/shared-files.js';

// The detector wraps the backbone as `backbone_net.model.` + our keys.
const PREFIX = 'backbone_net.model.';

/** Key names and checkpoint-layout shapes of a state dict, in order; disposes the state dict. */
function keysAndShapes(module: { stateDict(): Record<string, tf.Tensor> }): { name: string; shape: number[] }[] {
  const state = module.stateDict();
  const list = Object.entries(state).map(([name, tensor]) => ({ name, shape: tensor.shape }));
  tf.dispose(Object.values(state));
  return list;
}

describe('checkpoint key layout (B0)', () => {
  const baseline = tf.memory().numTensors;
  const backbone = new EfficientNetBackbone({ variant: 0 });
  const classifier = new EfficientNet({ variant: 0 });
  afterAll(() => {
    backbone.dispose();
    classifier.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('backbone keys and shapes equal the efficientdet-d0 checkpoint backbone_net.model.* lines, in order', () => {
    const expected = readKeyList('weights/efficientdet-d0.keys.tsv')
      .filter((entry) => entry.name.startsWith(PREFIX))
      .map((entry) => ({ name: entry.name.slice(PREFIX.length), shape: entry.shape }));
    expect(expected.length).toBe(304);
    expect(keysAndShapes(backbone)).toEqual(expected);
  });

  it('classifier keys are the backbone keys plus _conv_head, _bn1 and _fc', () => {
    const backboneKeys = keysAndShapes(backbone);
    const classifierKeys = keysAndShapes(classifier);
    expect(classifierKeys.slice(0, backboneKeys.length)).toEqual(backboneKeys);
    expect(classifierKeys.slice(backboneKeys.length)).toEqual([
      { name: '_conv_head.conv.weight', shape: [1280, 320, 1, 1] },
      { name: '_bn1.weight', shape: [1280] },
      { name: '_bn1.bias', shape: [1280] },
      { name: '_bn1.running_mean', shape: [1280] },
      { name: '_bn1.running_var', shape: [1280] },
      { name: '_fc.weight', shape: [1000, 1280] },
      { name: '_fc.bias', shape: [1000] },
    ]);
  });

  it('built parameter counts equal the plan and efficientnet-pytorch', () => {
    expect(classifier.parameterCount()).toBe(5_288_548);
    expect(backbone.parameterCount()).toBe(3_595_388);
    expect(backbone.featureInfo).toEqual(planEfficientNet({ variant: 0 }).featureInfo);
  });

  it('a width- and depth-scaled build (B2 backbone) matches its plan', () => {
    const b2 = new EfficientNetBackbone({ variant: 2 });
    try {
      expect(b2.parameterCount()).toBe(efficientNetParameterCount({ variant: 2 }, 'backbone'));
      expect(b2.blocks.length).toBe(23);
      expect(b2.featureInfo.map((f) => f.channels)).toEqual([48, 120, 352]);
    } finally {
      b2.dispose();
    }
  });
});
