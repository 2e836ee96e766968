// The max-pool padding follows the checkpoint's origin and is never silent: zylo117 files run with zeros,
// effdet (rwightman layout) files with -inf, a saved file records its padding in its metadata, and the
// config or a model.json can fix it. Bad values are typed errors that leave the model as it was.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  EfficientDet,
  LAYOUT_POOL_PADDING,
  checkModelManifest,
  checkpointPoolPadding,
  describePoolPadding,
  loadCheckpoint,
  saveCheckpoint,
  trainStep,
} from '@edet/model';
import { readSafetensors, writeSafetensorsSync } from '@edet/safetensors';
import { AdamW, FileFormatError, InvalidArgumentError } from '@edet/tensor';

import { classifierBiasSnapshot } from './support/checkpoint-files.js';

// A small D0 (one BiFPN layer, one head layer) keeps saving and loading fast.
const small = { compoundCoef: 0, numClasses: 2, fpnLayers: 1, headLayers: 1 };

function withMetadata(bytes: Uint8Array, metadata: Record<string, string>): Uint8Array {
  const { tensors, metadata: original } = readSafetensors(bytes);
  const out = writeSafetensorsSync(tensors, { metadata: { ...original, ...metadata } });
  tf.dispose(Object.values(tensors));
  return out;
}

describe('max-pool padding by checkpoint origin', () => {
  let zylo117File: Uint8Array;
  let rwightmanFile: Uint8Array;

  beforeAll(async () => {
    const source = new EfficientDet({ ...small, seed: 4 });
    zylo117File = await saveCheckpoint(source);
    rwightmanFile = await saveCheckpoint(source, { layout: 'rwightman' });
    source.dispose();
    // Files without the metadata key, as zylo117 and effdet write them.
    zylo117File = stripPoolPadding(zylo117File);
    rwightmanFile = stripPoolPadding(rwightmanFile);
  });

  function stripPoolPadding(bytes: Uint8Array): Uint8Array {
    const { tensors, metadata } = readSafetensors(bytes);
    delete metadata.poolPadding;
    const out = writeSafetensorsSync(tensors, { metadata });
    tf.dispose(Object.values(tensors));
    return out;
  }

  it('defaults to zero; a layout decides when the file does not say; the config fixes it', () => {
    expect(LAYOUT_POOL_PADDING).toEqual({ zylo117: 'zero', rwightman: 'neg-inf' });
    const model = new EfficientDet(small);
    expect(model.config.poolPadding).toBe('zero');
    expect(loadCheckpoint(model, rwightmanFile)).toEqual({ layout: 'rwightman', poolPadding: 'neg-inf' });
    expect(model.config.poolPadding).toBe('neg-inf');
    expect(model.bifpn.poolPadding).toBe('neg-inf');
    expect(model.loadSafetensors(zylo117File)).toEqual({ layout: 'zylo117', poolPadding: 'zero' });
    expect(model.poolPadding).toBe('zero');
    expect(model.bifpn.poolPadding).toBe('zero');
    model.dispose();

    const fixed = new EfficientDet({ ...small, poolPadding: 'zero' });
    expect(loadCheckpoint(fixed, rwightmanFile).poolPadding).toBe('neg-inf');
    expect(fixed.config.poolPadding).toBe('zero');
    expect(fixed.bifpn.poolPadding).toBe('zero');
    fixed.dispose();
  });

  it('a saved file records its padding, so it keeps its numerics in either layout', async () => {
    const official = new EfficientDet({ ...small, poolPadding: 'neg-inf', seed: 5 });
    for (const layout of ['zylo117', 'rwightman'] as const) {
      const file = await saveCheckpoint(official, { layout });
      expect(readSafetensors(file).metadata.poolPadding).toBe('neg-inf');
      const copy = new EfficientDet(small);
      expect(loadCheckpoint(copy, file)).toEqual({ layout, poolPadding: 'neg-inf' });
      expect(copy.poolPadding).toBe('neg-inf');
      copy.dispose();
    }
    official.dispose();
  });

  it('the two paddings give different outputs, and each model runs its own', () => {
    const x = tf.randomNormal([1, 3, 128, 128], 0, 1, 'float32', 8) as tf.Tensor4D;
    const zero = new EfficientDet({ ...small, seed: 6, poolPadding: 'zero' });
    const negInf = new EfficientDet({ ...small, seed: 6, poolPadding: 'neg-inf' });
    const [a] = zero.extractFeatures(x).fpn.slice(-1);
    const [b] = negInf.extractFeatures(x).fpn.slice(-1);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0])).toBeGreaterThan(0);
    tf.dispose([x, a, b]);
    zero.dispose();
    negInf.dispose();
  });

  it('describes the padding in one line for banners', () => {
    expect(describePoolPadding('zero')).toBe('zero (zylo117)');
    expect(describePoolPadding('neg-inf')).toBe('-inf (official TF, effdet)');
  });

  describe('bad values', () => {
    it.each(['', 'NEG-INF', 'reflect'])('metadata poolPadding %j -> FileFormatError naming the file, model unchanged', (value) => {
      const file = withMetadata(zylo117File, { poolPadding: value });
      const model = new EfficientDet({ ...small, seed: 9 });
      const before = classifierBiasSnapshot(model);
      const start = tf.memory().numTensors;
      expect(() => loadCheckpoint(model, file, { source: 'bad.safetensors' })).toThrow(FileFormatError);
      expect(() => loadCheckpoint(model, file, { source: 'bad.safetensors' })).toThrow(/^bad\.safetensors: metadata "poolPadding" must be zero or neg-inf/);
      expect(classifierBiasSnapshot(model)).toEqual(before);
      expect(model.poolPadding).toBe('zero');
      expect(tf.memory().numTensors).toBe(start);
      model.dispose();
    });

    it.each([['same'], [0], [null], [true]])('config.poolPadding %j -> InvalidArgumentError', (value) => {
      const start = tf.memory().numTensors;
      expect(() => new EfficientDet({ ...small, poolPadding: value as never })).toThrow(InvalidArgumentError);
      expect(() => new EfficientDet({ ...small, poolPadding: value as never })).toThrow(/^config\.poolPadding: expected one of 'zero', 'neg-inf'/);
      expect(tf.memory().numTensors).toBe(start);
    });

    it.each([['-inf'], [1]])('model.json poolPadding %j -> FileFormatError', (value) => {
      const manifest = { name: 'm', weights: 'w.safetensors', compoundCoef: 0, inputSize: 512, labels: ['a'], poolPadding: value };
      expect(() => checkModelManifest(manifest, 'model.json')).toThrow(FileFormatError);
      expect(() => checkModelManifest(manifest, 'model.json')).toThrow(/^model\.json: "poolPadding" must be "zero" or "neg-inf"/);
    });

    it('checkpointPoolPadding: metadata first, then the layout', () => {
      expect(checkpointPoolPadding('zylo117', { poolPadding: 'neg-inf' }, 'f')).toBe('neg-inf');
      expect(checkpointPoolPadding('rwightman', { poolPadding: 'zero' }, 'f')).toBe('zero');
      expect(checkpointPoolPadding('rwightman', {}, 'f')).toBe('neg-inf');
      expect(checkModelManifest({ name: 'm', weights: 'w', compoundCoef: 0, inputSize: 512, labels: ['a'], poolPadding: 'neg-inf' }, 'm').poolPadding).toBe('neg-inf');
    });
  });
});

describe('training with -inf padding', () => {
  let model: EfficientDet;
  afterAll(() => model?.dispose());

  it('steps with finite losses and no leaked tensors', () => {
    model = new EfficientDet({ ...small, seed: 12, poolPadding: 'neg-inf' });
    const optimizer = new AdamW({ learningRate: 1e-3, weightDecay: 0 });
    const x = tf.randomNormal([1, 3, 128, 128], 0, 1, 'float32', 3) as tf.Tensor4D;
    const targets = [tf.tensor2d([[8, 10, 60, 58, 1]])];
    trainStep(model, optimizer, x, targets);
    const start = tf.memory().numTensors;
    const second = trainStep(model, optimizer, x, targets, { clipGradientNorm: 10 });
    expect(tf.memory().numTensors).toBe(start);
    expect(Number.isFinite(second.loss) && Number.isFinite(second.classificationLoss) && Number.isFinite(second.boxLoss)).toBe(true);
    tf.dispose([x, ...targets]);
    optimizer.dispose();
  });
});
