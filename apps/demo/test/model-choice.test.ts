import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { COCO90_LABELS, EfficientDet, PRESET_NAMES } from '@edet/model';
import { FileFormatError } from '@edet/tensor';

import { BUNDLED, bundledLabel, modelOptions, modelTitle, requestedModel } from '../src/page/model-choice.js';
import { loadUserWeights } from '../src/worker/load-user-weights.js';

// The model picker's names and the worker's reading of weights that name their model, in Node (the page
// test drives the picker in Chromium).

describe('the model picker', () => {
  it('takes a published name from the URL and nothing else', () => {
    expect(requestedModel('?model=tf_efficientdet_lite0&backend=wasm')).toBe('tf_efficientdet_lite0');
    expect(requestedModel('?model=efficientdet-d8')).toBe('efficientdet-d8');
    for (const search of ['', '?model=', '?model=bundled', '?model=tf_efficientdet_lite9', '?model=TF_EFFICIENTDET_LITE0']) expect(requestedModel(search), search).toBeUndefined();
  });

  it('lists the bundled model, then every published name with its title', () => {
    const options = modelOptions();
    expect(options.map((option) => option.value)).toEqual([BUNDLED, ...PRESET_NAMES]);
    expect(options.find((option) => option.value === 'tf_efficientdet_lite0')?.label).toBe('EfficientDet-Lite0 (tf_efficientdet_lite0)');
    expect(modelTitle('tf_efficientdet_lite3x')).toBe('EfficientDet-Lite3x');
    expect(modelTitle('tf_efficientdet_d7x')).toBe('EfficientDet-D7x');
    expect(modelTitle('efficientdet-d3')).toBe('EfficientDet-D3, zylo117');
    expect(modelTitle('efficientdet-d8')).toBe('EfficientDet-D7x, zylo117');
    expect(bundledLabel('EfficientDet-D0 BCCD')).toBe('bundled EfficientDet-D0 BCCD');
    expect(bundledLabel(undefined)).toBe('no bundled model: untrained D0 stand-in');
  });
});

describe('weights that name their model', () => {
  it('build that preset at the recorded input size; a bad name is refused and the model in use kept', async () => {
    const start = tf.memory().numTensors;
    const current = new EfficientDet({ compoundCoef: 0, numClasses: 90, fpnLayers: 1, headLayers: 1, seed: 1 });
    const before = current.namedParameters().get('classifier.header.pointwise_conv.conv.bias')!.dataSync().slice();
    const lite = EfficientDet.fromPreset('tf_efficientdet_lite0', { numClasses: 2, inputSize: [256, 384], seed: 2 });
    const bytes = await lite.saveSafetensors({ metadata: { classes: '["cat","dog"]' } });
    const liteBias = lite.namedParameters().get('classifier.header.pointwise_conv.conv.bias')!.dataSync().slice();
    lite.dispose();

    const loaded = loadUserWeights(current, COCO90_LABELS, bytes, 'lite.safetensors');
    try {
      expect(loaded.model).not.toBe(current);
      expect(loaded.model.config).toMatchObject({ model: 'tf_efficientdet_lite0', numClasses: 2, inputSize: [256, 384], normalization: 'symmetric' });
      expect(loaded.labels).toEqual(['cat', 'dog']);
      expect(loaded.model.namedParameters().get('classifier.header.pointwise_conv.conv.bias')!.dataSync()).toEqual(liteBias);
      // The same file again fits the model it built: loaded in place.
      expect(loadUserWeights(loaded.model, loaded.labels, bytes, 'lite.safetensors').model).toBe(loaded.model);
    } finally {
      loaded.model.dispose();
    }

    // A name outside PRESET_NAMES beside compound_coef (as edet writes them) is a damaged file.
    const named = new EfficientDet({ compoundCoef: 0, numClasses: 90, fpnLayers: 1, headLayers: 1, seed: 3 });
    const damaged = await named.saveSafetensors({ metadata: { model: 'tf_efficientdet_lite9' } });
    named.dispose();
    expect(() => loadUserWeights(current, COCO90_LABELS, damaged, 'damaged.safetensors')).toThrow(FileFormatError);
    expect(() => loadUserWeights(current, COCO90_LABELS, damaged, 'damaged.safetensors')).toThrow(/damaged\.safetensors \(metadata "model"\)/);
    expect(current.namedParameters().get('classifier.header.pointwise_conv.conv.bias')!.dataSync()).toEqual(before);
    current.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });
});
