import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';

import { EfficientNet, EfficientNetBackbone, createRandom, dropConnect } from '../src/index.js';

// Stochastic depth and dropout: which samples and units are dropped comes from the seeded generator in
// JavaScript, so these checks run in Node only; forward.test.ts runs the layers themselves on every backend.

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

describe('training randomness (B0 code path, narrow and shallow)', () => {
  const x = tf.randomNormal([2, 64, 64, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
  afterAll(() => x.dispose());

  it('drop-connect is on only in training and follows the seed', () => {
    const before = tf.memory().numTensors;
    // Four backbones with the same weights: two share a seed, one differs; a fourth has drop-connect off.
    // Narrow and shallow (same code path as B0) so that four builds stay cheap.
    const make = (seed: number, dropConnectRate: number) =>
      new EfficientNetBackbone({ variant: 0, widthCoefficient: 0.25, depthCoefficient: 0.5, seed, dropConnectRate });
    const nets = [make(11, 0.9), make(11, 0.9), make(12, 0.9), make(12, 0)];
    const state = nets[0].stateDict();
    for (const net of nets.slice(1)) net.loadStateDict(state);
    tf.dispose(Object.values(state));
    const c5 = (net: EfficientNetBackbone) => {
      const [c3, c4, out] = net.forward(x);
      tf.dispose([c3, c4]);
      return out;
    };
    const evalOutputs = nets.map(c5);
    expect(maxAbsDiff(evalOutputs[0], evalOutputs[2])).toBe(0);
    for (const net of nets) net.train();
    const trainOutputs = nets.map(c5);
    expect(maxAbsDiff(trainOutputs[0], trainOutputs[1])).toBe(0); // same seed, same masks
    expect(maxAbsDiff(trainOutputs[0], trainOutputs[2])).toBeGreaterThan(1e-3); // other seed, other masks
    expect(maxAbsDiff(trainOutputs[0], trainOutputs[3])).toBeGreaterThan(1e-3); // drop-connect changes the output
    tf.dispose([...evalOutputs, ...trainOutputs]);
    for (const net of nets) net.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('dropout before _fc is on only in training and follows the seed', () => {
    const before = tf.memory().numTensors;
    const make = (seed: number, dropoutRate: number) =>
      new EfficientNet({ variant: 0, widthCoefficient: 0.25, depthCoefficient: 0.5, numClasses: 5, seed, dropoutRate, dropConnectRate: 0 });
    const nets = [make(21, 0.5), make(22, 0.5), make(22, 0)];
    const state = nets[0].stateDict();
    for (const net of nets.slice(1)) net.loadStateDict(state);
    tf.dispose(Object.values(state));
    const evalOutputs = nets.map((net) => net.forward(x));
    expect(maxAbsDiff(evalOutputs[0], evalOutputs[1])).toBe(0);
    for (const net of nets) net.train();
    const trainOutputs = nets.map((net) => net.forward(x));
    expect(maxAbsDiff(trainOutputs[0], trainOutputs[1])).toBeGreaterThan(1e-4);
    expect(maxAbsDiff(trainOutputs[1], trainOutputs[2])).toBeGreaterThan(1e-4);
    tf.dispose([...evalOutputs, ...trainOutputs]);
    for (const net of nets) net.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('dropConnect drops whole samples and rescales the kept ones by 1/keep', () => {
    const ones = tf.ones([200, 2, 2, 3]) as tf.Tensor4D;
    const dropped = dropConnect(ones, 0.25, createRandom(5));
    const values = dropped.dataSync();
    const perSample = Array.from({ length: 200 }, (_, n) => values.slice(n * 12, n * 12 + 12));
    for (const sample of perSample) {
      expect(new Set(sample).size).toBe(1);
      expect([0, Math.fround(4 / 3)]).toContain(sample[0]);
    }
    const keptFraction = perSample.filter((sample) => sample[0] !== 0).length / 200;
    expect(keptFraction).toBeGreaterThan(0.6);
    expect(keptFraction).toBeLessThan(0.9);
    tf.dispose([ones, dropped]);
  });
});
