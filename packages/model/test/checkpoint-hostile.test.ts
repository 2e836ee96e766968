import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  ClassCountMismatchError,
  EfficientDet,
  classCountFromWeights,
  createModelFromManifest,
  loadCheckpoint,
  parseCheckpoint,
  saveCheckpoint,
} from '@edet/model';
import { readSafetensors } from '@edet/safetensors';
import { FileFormatError, InvalidArgumentError, Module, StateDictError } from '@edet/tensor';

import { rewrite } from './support/checkpoint-files.js';

// Weights files and arguments a careless or hostile caller can hand the loaders: non-finite weights, another
// class count, and values that are not bytes, options or state dicts. Each gets a typed error that says what
// is wrong in the caller's terms, leaves the model as it was and leaks no tensor.
const small = { compoundCoef: 0, fpnLayers: 1, headLayers: 1 } as const;
const BIAS = 'classifier.header.pointwise_conv.conv.bias';

function biasOf(model: EfficientDet): Float32Array {
  return model.classifier.header.pointwiseConv.conv.bias!.dataSync().slice() as Float32Array;
}

describe('checkpoints a careless or hostile caller loads', () => {
  let threeClasses: Uint8Array;
  let model: EfficientDet;

  beforeAll(async () => {
    const source = new EfficientDet({ ...small, numClasses: 3, seed: 1 });
    threeClasses = await saveCheckpoint(source);
    source.dispose();
    model = new EfficientDet({ ...small, numClasses: 3, seed: 2 });
  });
  afterAll(() => model.dispose());

  it('refuses NaN or infinite weights by default, naming the count and the first key, changing nothing', () => {
    const poisoned = rewrite(threeClasses, (tensors) => {
      tensors[BIAS] = tf.tensor1d(Array.from({ length: 27 }, (_, i) => (i === 4 ? NaN : i === 9 ? Infinity : 0)));
      tensors['regressor.header.pointwise_conv.conv.bias'] = tf.fill([36], -Infinity);
    });
    const before = biasOf(model);
    const start = tf.memory().numTensors;
    const load = () => model.loadSafetensors(poisoned, { source: 'nan.safetensors' });
    expect(load).toThrow(FileFormatError);
    expect(load).toThrow(/^nan\.safetensors: 38 values in 2 tensors are NaN or infinite, the first in tensor '[a-z_.]+' at index \d+ \((NaN|-?Infinity)\)/);
    expect(() => loadCheckpoint(model, parseCheckpoint(poisoned))).toThrow(FileFormatError);
    expect(biasOf(model)).toEqual(before);
    expect(tf.memory().numTensors).toBe(start);
    // allowNonFinite loads them, for whoever needs to look at a broken file.
    model.loadSafetensors(poisoned, { allowNonFinite: true });
    expect(Number.isNaN(biasOf(model)[4])).toBe(true);
    model.loadSafetensors(threeClasses);
    expect(tf.memory().numTensors).toBe(start);
  });

  it('says a class-count mismatch in classes, not in tensor shapes, and changes nothing', () => {
    const five = new EfficientDet({ ...small, numClasses: 5, seed: 3 });
    const before = biasOf(five);
    const start = tf.memory().numTensors;
    let caught: unknown;
    try {
      five.loadSafetensors(threeClasses, { source: 'bccd.safetensors' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ClassCountMismatchError);
    expect(caught).toBeInstanceOf(StateDictError);
    expect(caught).toMatchObject({ fileClasses: 3, modelClasses: 5, source: 'bccd.safetensors' });
    expect((caught as Error).message).toMatch(/^bccd\.safetensors: the file has 3 classes, the model 5 .*numClasses 3.*"classes" metadata.*--classes/);
    expect((caught as Error).message).not.toMatch(/\[45,|\[27,/);
    expect(biasOf(five)).toEqual(before);
    expect(tf.memory().numTensors).toBe(start);
    five.dispose();
  });

  it('classCountFromWeights reads the class count from the class head, in both key layouts', async () => {
    expect(classCountFromWeights(parseCheckpoint(threeClasses))).toBe(3);
    expect(classCountFromWeights(parseCheckpoint(threeClasses), 'zylo117')).toBe(3);
    const { tensors } = readSafetensors(threeClasses);
    expect(classCountFromWeights(tensors)).toBe(3);
    tf.dispose(Object.values(tensors));
    const rwightman = await saveCheckpoint(model, { layout: 'rwightman' });
    expect(classCountFromWeights(parseCheckpoint(rwightman))).toBe(3);
    expect(classCountFromWeights(parseCheckpoint(rwightman), 'rwightman', 9)).toBe(3);
    // No class head, or one that is no multiple of the anchors: unknown.
    expect(classCountFromWeights({ 'layer.weight': { shape: [2] } })).toBeUndefined();
    expect(classCountFromWeights({ [BIAS]: { shape: [10] } }, 'zylo117')).toBeUndefined();
    expect(classCountFromWeights({ [BIAS]: { shape: [810] } }, 'zylo117')).toBe(90);
    const other = new EfficientDet({ ...small, numClasses: 5, seed: 3 });
    expect(() => other.loadSafetensors(rwightman)).toThrow('the file has 3 classes, the model 5');
    other.dispose();
  });

  it('refuses, before loading, metadata fields edet reads that are damaged', async () => {
    const source = new EfficientDet({ ...small, numClasses: 3, seed: 1 });
    const before = biasOf(model);
    const start = tf.memory().numTensors;
    for (const [metadata, message] of [
      [{ trained: 'maybe' }, 'bad.safetensors: metadata "trained" must be "true" or "false", got "maybe"'],
      [{ classes: 'RBC' }, 'bad.safetensors: metadata "classes" must be a JSON array of class-name strings'],
      [{ classes: '["a","b","c","d"]' }, 'bad.safetensors: metadata "classes" names 4 classes, but the class head has 3'],
    ] as [Record<string, string>, string][]) {
      const file = await saveCheckpoint(source, { metadata });
      expect(() => model.loadSafetensors(file, { source: 'bad.safetensors' })).toThrow(FileFormatError);
      expect(() => model.loadSafetensors(file, { source: 'bad.safetensors' })).toThrow(message);
    }
    expect(biasOf(model)).toEqual(before);
    expect(tf.memory().numTensors).toBe(start);
    source.dispose();
  });

  it('names the argument for files, options and models of the wrong kind', () => {
    const start = tf.memory().numTensors;
    const files: [unknown, string][] = [
      [null, 'null'],
      [undefined, 'undefined'],
      ['weights.safetensors', '"weights.safetensors"'],
      [42, '42'],
      [new ArrayBuffer(8), 'an ArrayBuffer of 8 bytes'],
      [new Float32Array(2), 'a Float32Array of 8 bytes'],
    ];
    for (const [file, received] of files) {
      for (const load of [() => model.loadSafetensors(file as Uint8Array), () => loadCheckpoint(model, file as Uint8Array)]) {
        expect(load).toThrow(InvalidArgumentError);
        expect(load).toThrow(new RegExp(`^file: expected a Uint8Array of the whole file.*got ${received.replace(/[.*"]/g, '\\$&')}$`));
      }
      expect(() => parseCheckpoint(file as Uint8Array)).toThrow(/^bytes: expected a Uint8Array of the whole file/);
    }
    expect(() => model.loadSafetensors(threeClasses, { layout: 'timm' as never })).toThrow(
      "options.layout: expected one of 'zylo117', 'rwightman', got \"timm\"",
    );
    expect(() => model.loadSafetensors(threeClasses, { allowNonFinite: 'yes' as never })).toThrow('options.allowNonFinite: expected true or false');
    expect(() => model.loadSafetensors(threeClasses, { source: 7 as never })).toThrow('options.source: expected a string naming the file, got 7');
    expect(() => parseCheckpoint(threeClasses, { source: 7 as never })).toThrow(InvalidArgumentError);
    expect(() => loadCheckpoint({} as Module, threeClasses)).toThrow(/^model: expected an EfficientDet/);
    expect(tf.memory().numTensors).toBe(start);
  });

  it('saveCheckpoint checks its options before making any tensor', async () => {
    const start = tf.memory().numTensors;
    await expect(saveCheckpoint(model, { layout: 'timm' as never })).rejects.toThrow(InvalidArgumentError);
    await expect(saveCheckpoint(model, { dtype: 'F8' as never })).rejects.toThrow("options.dtype: expected one of 'F32', 'F16', 'BF16', got \"F8\"");
    await expect(saveCheckpoint(model, { metadata: { classes: ['a'] } as never })).rejects.toThrow('options.metadata: expected an object of strings');
    await expect(saveCheckpoint(null as never)).rejects.toThrow('model: expected an EfficientDet (or another Module), got null');
    expect(tf.memory().numTensors).toBe(start);
  });

  it('createModelFromManifest checks the manifest and the weights before building the model', () => {
    const manifest = { name: 'three', weights: 'w.safetensors', compoundCoef: 0, inputSize: 512, labels: ['a', 'b', 'c'] };
    const start = tf.memory().numTensors;
    expect(() => createModelFromManifest(null as never, threeClasses)).toThrow('manifest: expected a model manifest (see checkModelManifest), got null');
    expect(() => createModelFromManifest({ ...manifest, labels: 'abc' } as never, threeClasses)).toThrow(/^manifest: expected a model manifest \(see checkModelManifest\), got one where "labels" must be a non-empty array/);
    expect(() => createModelFromManifest(manifest, null as never)).toThrow(/^weights: expected a Uint8Array of the whole file/);
    expect(() => createModelFromManifest(manifest, threeClasses, { source: 1 } as never)).toThrow('options.source: expected a string naming the weights, got 1');
    // A manifest naming 5 labels for 3-class weights: said in classes, and nothing is left allocated.
    expect(() => createModelFromManifest({ ...manifest, labels: ['a', 'b', 'c', 'd', 'e'] }, threeClasses)).toThrow(ClassCountMismatchError);
    expect(tf.memory().numTensors).toBe(start);
  });

  it('loadStateDict refuses a state that is not an object of tensors', () => {
    const state = model.stateDict();
    const start = tf.memory().numTensors;
    for (const [bad, message] of [
      [null, 'state: expected an object of tensors by key (a state dict), got null'],
      [new Map(), 'state: expected an object of tensors by key (a state dict), got an object (Map)'],
      [[], 'state: expected an object of tensors by key (a state dict), got an array of length 0'],
      [{ ...state, [BIAS]: [1, 2, 3] }, `state['${BIAS}']: expected a tf.Tensor, got an array of length 3`],
    ] as [unknown, string][]) {
      expect(() => model.loadStateDict(bad as never)).toThrow(InvalidArgumentError);
      expect(() => model.loadStateDict(bad as never)).toThrow(message);
    }
    expect(() => model.loadStateDict(state, { strict: 'no' } as never)).toThrow('options.strict: expected true or false, got "no"');
    expect(tf.memory().numTensors).toBe(start);
    tf.dispose(Object.values(state));
  });
});
