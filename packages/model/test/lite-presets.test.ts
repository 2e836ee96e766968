// EfficientDet-Lite0..4 and Lite3x as effdet defines them: parameter counts with 90 classes equal effdet's
// (listed in ../shared/golden/effdet-synthetic/README.md), and the presets by published name.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { EfficientDet, PRESET_NAMES, presetConfig } from '@edet/model';
import { InvalidArgumentError } from '@edet/tensor';

const EFFDET_PARAMETERS: [string, number][] = [
  ['tf_efficientdet_lite0', 3_243_470],
  ['tf_efficientdet_lite1', 4_248_318],
  ['tf_efficientdet_lite2', 5_252_334],
  ['tf_efficientdet_lite3', 8_350_862],
  ['tf_efficientdet_lite3x', 9_280_862],
  ['tf_efficientdet_lite4', 15_130_894],
  ['tf_efficientdet_d0', 3_880_067],
];

describe('EfficientDet-Lite', () => {
  it.each(EFFDET_PARAMETERS)('%s has effdet parameter count %i', (name, count) => {
    const model = EfficientDet.fromPreset(name);
    try {
      expect(model.parameterCount()).toBe(count);
    } finally {
      model.dispose();
    }
  });
});

describe('presets by name', () => {
  it('knows effdet and zylo117 names, with the numerics of their checkpoints', () => {
    expect(PRESET_NAMES).toContain('tf_efficientdet_d7x');
    expect(PRESET_NAMES).toContain('tf_efficientdet_lite3x');
    expect(PRESET_NAMES).toContain('efficientdet-d8');
    expect(presetConfig('tf_efficientdet_d3')).toEqual({ compoundCoef: 3, poolPadding: 'neg-inf', model: 'tf_efficientdet_d3' });
    expect(presetConfig('efficientdet-d3')).toEqual({ compoundCoef: 3, poolPadding: 'zero', model: 'efficientdet-d3' });
    expect(presetConfig('tf_efficientdet_lite2')).toMatchObject({
      backboneVariant: 2,
      fpnChannels: 112,
      fpnLayers: 5,
      headLayers: 3,
      inputSize: 448,
      anchorScale: 3,
      weightedFusion: false,
      backbone: 'efficientnet-lite',
      activation: 'relu6',
      normalization: 'symmetric',
      poolPadding: 'neg-inf',
    });
    expect(presetConfig('tf_efficientdet_lite4')).toMatchObject({ inputSize: 640, anchorScale: 4, fpnChannels: 224 });
  });

  it('applies overrides on top; compoundCoef configs keep working', () => {
    const config = presetConfig('tf_efficientdet_lite0', { numClasses: 3, inputSize: [320, 576], poolPadding: 'zero' });
    expect(config).toMatchObject({ numClasses: 3, inputSize: [320, 576], poolPadding: 'zero', fpnChannels: 64 });
    const model = new EfficientDet({ compoundCoef: 0, numClasses: 3, fpnLayers: 1, headLayers: 1 });
    expect(model.config).toMatchObject({ backbone: 'efficientnet', activation: 'swish', normalization: 'imagenet', poolPadding: 'zero' });
    model.dispose();
  });

  it.each([['tf_efficientdet_d9'], ['efficientdet-d9'], ['lite0'], [''], [undefined], [3]])('unknown name %j -> InvalidArgumentError listing the names', (name) => {
    const start = tf.memory().numTensors;
    expect(() => presetConfig(name as string)).toThrow(InvalidArgumentError);
    expect(() => EfficientDet.fromPreset(name as string)).toThrow(/^name: expected a model name: tf_efficientdet_d0, .*efficientdet-d8, got /);
    expect(tf.memory().numTensors).toBe(start);
  });

  it.each([
    [{ activation: 'gelu' }, /^config\.activation: expected one of "swish", "relu6", got gelu$/],
    [{ backbone: 'resnet' }, /^config\.backbone: expected one of "efficientnet", "efficientnet-lite"/],
    [{ normalization: 'none' }, /^config\.normalization: expected one of "imagenet", "symmetric"/],
    [{ redundantBias: 'yes' }, /^config\.redundantBias: expected one of true, false/],
  ])('bad field %j -> InvalidArgumentError, nothing allocated', (override, message) => {
    const start = tf.memory().numTensors;
    expect(() => EfficientDet.fromPreset('tf_efficientdet_lite0', override as never)).toThrow(message);
    expect(() => presetConfig('tf_efficientdet_lite0', null as never)).toThrow(/^overrides: expected an object/);
    expect(tf.memory().numTensors).toBe(start);
  });
});

describe('Lite network', () => {
  it('backbone: no squeeze-excite, stem 32 and first / last stage repeats unscaled, relu6', () => {
    const model = EfficientDet.fromPreset('tf_efficientdet_lite4', { fpnLayers: 1, headLayers: 1 });
    const plan = model.backbone.plan;
    expect(plan.stemChannels).toBe(32);
    expect(plan.blocks.every((block) => block.seChannels === 0)).toBe(true);
    const perStage = (stage: number) => plan.blocks.filter((block) => block.stage === stage).length;
    // B4 depth 1.8: ceil(1.8 r) everywhere but the first and last stages.
    expect([1, 2, 3, 4, 5, 6, 7].map(perStage)).toEqual([1, 4, 4, 6, 6, 8, 1]);
    expect(plan.blocks[0].inChannels).toBe(32);
    expect(plan.options.activation).toBe('relu6');
    expect(model.namedEntries().some((entry) => /^bifpn\.\d+\.p\d_w\d$/.test(entry.name))).toBe(false);
    model.dispose();
  });

  it('saves and loads in the effdet layout and in its own, every tensor identical', async () => {
    const source = EfficientDet.fromPreset('tf_efficientdet_lite0', { numClasses: 3, fpnLayers: 1, seed: 3 });
    const x = tf.randomNormal([1, 3, 160, 96], 0, 1, 'float32', 1) as tf.Tensor4D;
    const [expected] = source.forward(x);
    for (const layout of ['rwightman', 'zylo117'] as const) {
      const file = await source.saveSafetensors({ layout });
      const copy = EfficientDet.fromPreset('tf_efficientdet_lite0', { numClasses: 3, fpnLayers: 1, seed: 9 });
      expect(copy.loadSafetensors(file)).toEqual({ layout, poolPadding: 'neg-inf' });
      const [actual, regression, anchors] = copy.forward(x);
      expect(Array.from(actual.dataSync())).toEqual(Array.from(expected.dataSync()));
      tf.dispose([actual, regression, anchors]);
      copy.dispose();
    }
    tf.dispose([x, expected]);
    source.dispose();
  });

  it("detect normalises with the preset's (x/255 - 0.5) / 0.5", async () => {
    const model = EfficientDet.fromPreset('tf_efficientdet_lite0', { numClasses: 3, fpnLayers: 1, headLayers: 1, inputSize: 64 });
    const image = { data: new Uint8Array(64 * 64 * 3).fill(255), width: 64, height: 64, channels: 3 as const };
    // Unclipped, as predict's boxes are: the comparison is of the normalisation alone.
    const viaDetect = await model.detect(image, { scoreThreshold: 0, maxDetections: 3, clipToImage: false });
    const input = tf.ones([1, 64, 64, 3]) as tf.Tensor4D; // 255 -> (1 - 0.5) / 0.5 = 1
    const viaPredict = await model.predict(input, { channelsLast: true, scoreThreshold: 0, maxDetections: 3 });
    expect(viaDetect[0].map((d) => d.score)).toEqual(viaPredict[0].map((d) => d.score));
    input.dispose();
    model.dispose();
  });
});

describe('model.json by model name', () => {
  it('builds a Lite model from "model" and loads its weights; an unknown name is a FileFormatError', async () => {
    const { checkModelManifest, createModelFromManifest } = await import('@edet/model');
    const { FileFormatError } = await import('@edet/tensor');
    const source = EfficientDet.fromPreset('tf_efficientdet_lite0', { numClasses: 2, fpnLayers: 3, seed: 5 });
    const weights = await source.saveSafetensors({ layout: 'rwightman' });
    source.dispose();
    const manifest = checkModelManifest(
      { name: 'lite', weights: 'w.safetensors', compoundCoef: 0, model: 'tf_efficientdet_lite0', inputSize: [320, 576], labels: ['a', 'b'] },
      'model.json',
    );
    const model = createModelFromManifest(manifest, weights);
    expect(model.config).toMatchObject({ backbone: 'efficientnet-lite', inputSize: [320, 576], numClasses: 2, poolPadding: 'neg-inf' });
    model.dispose();
    const bad = { ...manifest, model: 'tf_efficientdet_lite9' };
    expect(() => checkModelManifest(bad, 'model.json')).toThrow(FileFormatError);
    expect(() => checkModelManifest(bad, 'model.json')).toThrow(/^model\.json: "model" must be a model name \(tf_efficientdet_d0, /);
  });
});
