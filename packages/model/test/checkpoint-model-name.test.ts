// Weights record the published name of the model they were saved from (metadata `model`), so that a loader
// rebuilds that architecture: a Lite0 file is not a D0 file, though both say compound_coef 0.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { checkpointGeometry, EfficientDet, geometryMetadata, parseCheckpoint, presetConfig } from '@edet/model';
import { FileFormatError, InvalidArgumentError, StateDictError } from '@edet/tensor';

describe('metadata "model"', () => {
  let lite0: EfficientDet;
  let bytes: Uint8Array;

  beforeAll(async () => {
    // A small input keeps the test cheap; the weights do not depend on it.
    lite0 = EfficientDet.fromPreset('tf_efficientdet_lite0', { numClasses: 2, inputSize: 128, seed: 3 });
    bytes = await lite0.saveSafetensors();
  });
  afterAll(() => lite0?.dispose());

  it('presetConfig records the name; saving a Lite0 writes it beside compound_coef and input_size', () => {
    expect(presetConfig('tf_efficientdet_lite0').model).toBe('tf_efficientdet_lite0');
    expect(lite0.config.model).toBe('tf_efficientdet_lite0');
    const weights = parseCheckpoint(bytes, { source: 'lite0.safetensors' });
    expect(weights.header.metadata).toMatchObject({ model: 'tf_efficientdet_lite0', compound_coef: '0', input_size: '128' });
    expect(checkpointGeometry(weights.header.metadata, 'lite0.safetensors')).toEqual({
      model: 'tf_efficientdet_lite0',
      compoundCoef: 0,
      inputSize: 128,
    });
  });

  it('a config without a name writes no "model"', () => {
    expect(geometryMetadata({ compoundCoef: 0, inputSize: [384, 640] })).toEqual({ compound_coef: '0', input_size: '384x640' });
    expect(geometryMetadata({ compoundCoef: 3, inputSize: 448, model: 'tf_efficientdet_lite3' })).toEqual({
      model: 'tf_efficientdet_lite3',
      compound_coef: '3',
      input_size: '448',
    });
  });

  it('the recorded name rebuilds the network the weights load into; the D model of the same coef refuses them', async () => {
    const start = tf.memory().numTensors;
    const weights = parseCheckpoint(bytes, { source: 'lite0.safetensors' });
    const { model: name, inputSize } = checkpointGeometry(weights.header.metadata, 'lite0.safetensors');
    const rebuilt = EfficientDet.fromPreset(name as string, { numClasses: 2, inputSize });
    const d0 = new EfficientDet({ compoundCoef: 0, numClasses: 2, inputSize });
    try {
      rebuilt.loadSafetensors(weights);
      // Saved again, the rebuilt model gives the same file byte for byte: same keys, values and metadata.
      const again = await rebuilt.saveSafetensors();
      expect(again.length).toBe(bytes.length);
      expect(Buffer.compare(again, bytes)).toBe(0);
      expect(() => d0.loadSafetensors(weights)).toThrow(StateDictError);
    } finally {
      rebuilt.dispose();
      d0.dispose();
    }
    expect(tf.memory().numTensors).toBe(start);
  });

  it('an unknown name is a FileFormatError naming the file, the key and the accepted names', () => {
    const read = (metadata: Record<string, string>) => () => checkpointGeometry(metadata, 'w.safetensors');
    expect(read({ model: 'tf_efficientdet_lite9', compound_coef: '0' })).toThrow(FileFormatError);
    expect(read({ model: 'tf_efficientdet_lite9', compound_coef: '0' })).toThrow(
      /^w\.safetensors \(metadata "model"\): expected a model name \(tf_efficientdet_d0, .*tf_efficientdet_lite0, .*efficientdet-d8\), got "tf_efficientdet_lite9"$/,
    );
    expect(read({ model: '', compound_coef: '0', input_size: '320' })).toThrow(/metadata "model"/);
    // A name fixes the variant: a compound_coef that contradicts it is refused too.
    expect(read({ model: 'tf_efficientdet_lite2', compound_coef: '0' })).toThrow(
      'w.safetensors (metadata "compound_coef"): expected 2, the variant of "model" tf_efficientdet_lite2, got "0"',
    );
    expect(checkpointGeometry({ model: 'efficientdet-d8', compound_coef: '8' })).toEqual({ model: 'efficientdet-d8', compoundCoef: 8, inputSize: undefined });
  });

  it("other tools' free-text model descriptions, in files without compound_coef, are no names and no errors", () => {
    // As in ../shared/weights/efficientdet-d0-synthetic.safetensors, written by its own script.
    expect(checkpointGeometry({ model: 'efficientdet-d0 (zylo117 layout)', format: 'pt' })).toEqual({ model: undefined, compoundCoef: undefined, inputSize: undefined });
    expect(checkpointGeometry({ model: 'tf_efficientdet_lite1' }).model).toBe('tf_efficientdet_lite1');
  });

  it('a config naming an unknown model, or presetConfig overrides naming another, is an InvalidArgumentError', () => {
    const start = tf.memory().numTensors;
    expect(() => new EfficientDet({ compoundCoef: 0, model: 'd0' })).toThrow(InvalidArgumentError);
    expect(() => new EfficientDet({ compoundCoef: 0, model: 'd0' })).toThrow(/^config\.model: expected a model name: tf_efficientdet_d0, .* got "d0"$/);
    expect(() => presetConfig('tf_efficientdet_lite0', { model: 'efficientdet-d0' })).toThrow(/^overrides\.model: expected "tf_efficientdet_lite0"/);
    expect(presetConfig('tf_efficientdet_lite0', { model: 'tf_efficientdet_lite0' }).model).toBe('tf_efficientdet_lite0');
    expect(tf.memory().numTensors).toBe(start);
  });
});
