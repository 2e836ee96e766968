import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { EfficientDet } from '@edet/model';
import { BatchNorm2d, InvalidArgumentError, type Module } from '@edet/tensor';

function batchNorms(module: Module): BatchNorm2d[] {
  const own = module instanceof BatchNorm2d ? [module] : [];
  return [...own, ...module.children().flatMap(([, child]) => batchNorms(child))];
}

const SMALL = { compoundCoef: 0, numClasses: 2, fpnLayers: 1, headLayers: 1, inputSize: 64 } as const;

describe('config.batchNormMomentum', () => {
  it('defaults to 0.01 and reaches every batch norm: backbone, BiFPN and both heads', () => {
    const plain = new EfficientDet({ ...SMALL });
    const fast = new EfficientDet({ ...SMALL, batchNormMomentum: 0.25 });
    try {
      expect(plain.config.batchNormMomentum).toBe(0.01);
      const [plainNorms, fastNorms] = [batchNorms(plain), batchNorms(fast)];
      // Every batch-norm entry of the state dict (its running mean) belongs to one of the layers found.
      const runningMeans = plain.namedEntries().filter((entry) => entry.name.endsWith('running_mean')).length;
      expect(plainNorms).toHaveLength(runningMeans);
      expect(new Set(plainNorms.map((bn) => bn.momentum))).toEqual(new Set([0.01]));
      expect(new Set(fastNorms.map((bn) => bn.momentum))).toEqual(new Set([0.25]));
    } finally {
      plain.dispose();
      fast.dispose();
    }
  });

  it('moves the running statistics that much further: the stem sees the same batch, so 50x at 0.5 against 0.01', () => {
    // Same seed, same weights, same input: the stem's batch statistics are equal in both models, so each
    // running mean moves momentum x (batch mean - running mean) and the steps differ by 0.5 / 0.01.
    const models = [0.01, 0.5].map((batchNormMomentum) => new EfficientDet({ ...SMALL, seed: 1, batchNormMomentum }));
    const x = tf.randomNormal([2, 3, 64, 64], 0, 1, 'float32', 3) as tf.Tensor4D;
    try {
      const [slow, fast] = models.map((model) => {
        const stem = model.namedEntries().find((entry) => entry.name === 'backbone_net.model._bn0.running_mean')!.variable;
        const before = stem.dataSync().slice();
        model.train();
        tf.dispose(model.forward(x));
        model.eval();
        const after = stem.dataSync();
        return Array.from(after, (value, c) => value - before[c]);
      });
      expect(slow.some((step) => Math.abs(step) > 1e-6)).toBe(true);
      fast.forEach((step, c) => expect(step).toBeCloseTo(50 * slow[c], 4));
    } finally {
      x.dispose();
      for (const model of models) model.dispose();
    }
  });

  it.each([0, -0.1, 1.5, NaN, '0.1'])('refuses %s, naming config.batchNormMomentum', (value) => {
    const start = tf.memory().numTensors;
    expect(() => new EfficientDet({ ...SMALL, batchNormMomentum: value as number })).toThrow(InvalidArgumentError);
    expect(() => new EfficientDet({ ...SMALL, batchNormMomentum: value as number })).toThrow(/^config\.batchNormMomentum: expected a number in \(0, 1\]/);
    expect(tf.memory().numTensors).toBe(start);
  });
});
