import * as tf from '@tensorflow/tfjs-core';
import { EfficientDet } from '@edet/model';
import { Module } from '@edet/tensor';
import { WeightEma, createOptimizer, decaysWeight, defaultWarmupSteps, learningRateAt } from '@edet/train';
import { afterAll, describe, expect, it } from 'vitest';

describe('learning-rate schedule', () => {
  const schedule = { baseLr: 1e-3, warmupSteps: 10, totalSteps: 110, minLr: 0 };
  it('warms up linearly, then follows a cosine to minLr', () => {
    expect(learningRateAt(schedule, 0)).toBeCloseTo(1e-4, 15);
    expect(learningRateAt(schedule, 4)).toBeCloseTo(5e-4, 15);
    expect(learningRateAt(schedule, 9)).toBeCloseTo(1e-3, 15);
    expect(learningRateAt(schedule, 10)).toBeCloseTo(1e-3, 15);
    expect(learningRateAt(schedule, 35)).toBeCloseTo(1e-3 * 0.5 * (1 + Math.cos(Math.PI / 4)), 15);
    expect(learningRateAt(schedule, 60)).toBeCloseTo(5e-4, 15);
    expect(learningRateAt(schedule, 110)).toBeCloseTo(0, 15);
    expect(learningRateAt(schedule, 500)).toBeCloseTo(0, 15);
    expect(learningRateAt({ ...schedule, minLr: 1e-5 }, 110)).toBeCloseTo(1e-5, 15);
    expect(learningRateAt({ ...schedule, warmupSteps: 0 }, 0)).toBeCloseTo(1e-3, 15);
  });

  it('defaults the warm-up to 5% of the run, at most 500 and at least 1 step', () => {
    expect(defaultWarmupSteps(2190)).toBe(110);
    expect(defaultWarmupSteps(100_000)).toBe(500);
    expect(defaultWarmupSteps(4)).toBe(1);
  });
});

describe('weight decay filter', () => {
  const model = new EfficientDet({ compoundCoef: 0, numClasses: 3, fpnLayers: 1, headLayers: 1 });
  afterAll(() => model.dispose());

  it('decays exactly the conv kernels: not norms, biases or BiFPN fusion weights', () => {
    const parameters = [...model.namedParameters()];
    for (const [name, variable] of parameters) expect(decaysWeight(name, variable), name).toBe(variable.rank === 4);
    const skipped = parameters.filter(([name]) => !decaysWeight(name)).map(([name]) => name);
    expect(skipped).toContain('bifpn.0.p6_w1');
    expect(skipped).toContain('bifpn.0.conv6_up.bn.weight');
    expect(skipped).toContain('bifpn.0.p5_down_channel.1.weight');
    expect(skipped).toContain('classifier.header.pointwise_conv.conv.bias');
    expect(skipped).toContain('backbone_net.model._bn0.bias');
    expect(skipped).toContain('regressor.bn_list.0.0.weight');
    expect(parameters.filter(([name]) => decaysWeight(name)).length).toBeGreaterThan(100);
  });

  for (const name of ['adamw', 'sgd'] as const) {
    it(`${name}: a zero gradient shrinks decayed weights only`, () => {
      const variables = new Map([
        ['block.conv.weight', tf.variable(tf.ones([1, 1, 2, 2]))],
        ['block.bn.weight', tf.variable(tf.ones([2]))],
        ['block.conv.bias', tf.variable(tf.ones([2]))],
      ]);
      const optimizer = createOptimizer(name, 0.1, 0.5);
      const gradients = Object.fromEntries([...variables].map(([key, v]) => [key, tf.zerosLike(v)]));
      optimizer.applyGradients(variables, gradients);
      // AdamW: w -= lr * decay * w = 0.95; SGD: g = decay * w = 0.5, buf = g, w -= lr * buf = 0.95.
      expect(variables.get('block.conv.weight')!.dataSync()[0]).toBeCloseTo(0.95, 6);
      expect(variables.get('block.bn.weight')!.dataSync()[0]).toBe(1);
      expect(variables.get('block.conv.bias')!.dataSync()[0]).toBe(1);
      optimizer.dispose();
      tf.dispose([...variables.values(), ...Object.values(gradients)]);
    });
  }
});

class Tiny extends Module {
  readonly weight: tf.Variable;
  constructor() {
    super();
    this.weight = this.addParameter('weight', tf.tensor1d([0, 0]));
  }
}

describe('WeightEma', () => {
  it('averages with the ramped decay, swaps the averages in and restores the weights', async () => {
    const model = new Tiny();
    const ema = new WeightEma(model, 0.9);
    model.weight.assign(tf.tensor1d([10, 20]));
    ema.update(); // decay min(0.9, 1/10) = 0.1: 0.1 * 0 + 0.9 * 10 = 9
    expect(ema.updates).toBe(1);
    const seen = await ema.withAverage(() => Array.from(model.weight.dataSync()));
    expect(seen[0]).toBeCloseTo(9, 5);
    expect(seen[1]).toBeCloseTo(18, 5);
    expect(Array.from(model.weight.dataSync())).toEqual([10, 20]);
    await expect(ema.withAverage(() => Promise.reject(new Error('eval failed')))).rejects.toThrow('eval failed');
    expect(Array.from(model.weight.dataSync())).toEqual([10, 20]);
    const state = ema.getState();
    const other = new WeightEma(model, 0.9);
    other.setState(state, 1);
    expect(Array.from(await other.withAverage(() => model.weight.dataSync()))).toEqual(seen);
    tf.dispose(Object.values(state));
    ema.dispose();
    other.dispose();
    model.dispose();
  });
});
