// The whole model's loss gradient against central finite differences of the loss along a random direction,
// one variable per layer type. (Each kernel's gradient is also checked alone, on wasm and cpu, in
// packages/tensor/test/gradients-*.) Eval mode keeps the loss deterministic: no drop-connect draws, running
// BN statistics. Training mode's batch statistics are covered by the per-kernel checks of their ops.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';

import { AdamW } from '@edet/tensor';
import { useBackend } from '@edet/model';
import { cpu } from '@edet/model/backends/cpu';
import { wasm } from '@edet/model/backends/wasm';
import { EfficientDet, trainStep } from '@edet/model';

const config = { compoundCoef: 0, numClasses: 2, fpnLayers: 1, headLayers: 1, seed: 21 };
const LAYER_TYPES = [
  'backbone_net.model._conv_stem.conv.weight',
  'backbone_net.model._blocks.1._depthwise_conv.conv.weight',
  'backbone_net.model._blocks.1._se_reduce.conv.weight',
  'backbone_net.model._blocks.2._bn1.weight',
  'bifpn.0.p4_w2',
  'bifpn.0.p5_to_p6.0.conv.weight',
  'bifpn.0.conv4_down.pointwise_conv.conv.bias',
  'regressor.bn_list.1.0.bias',
  'classifier.header.pointwise_conv.conv.weight',
  'regressor.header.depthwise_conv.conv.weight',
];

function makeBatch(size = 2) {
  const x = tf.randomNormal([size, 3, 128, 128], 0, 1, 'float32', 3) as tf.Tensor4D;
  const targets = [tf.tensor2d([[8, 10, 60, 58, 1], [70, 20, 118, 90, 0]]), tf.tensor2d([[30, 30, 100, 96, 1]])].slice(0, size);
  return { x, targets };
}

function lossValue(model: EfficientDet, x: tf.Tensor4D, targets: tf.Tensor2D[]): number {
  return tf.tidy(() => model.getLoss(x, targets, { boxLoss: 'huber' }).dataSync()[0]);
}

function gradients(model: EfficientDet, x: tf.Tensor4D, targets: tf.Tensor2D[]): Map<string, Float32Array> {
  const variables = model.namedParameters();
  const { value, grads } = tf.variableGrads(() => model.getLoss(x, targets, { boxLoss: 'huber' }), [...variables.values()]);
  const result = new Map<string, Float32Array>();
  for (const name of LAYER_TYPES) result.set(name, grads[(variables.get(name) as tf.Variable).name].dataSync() as Float32Array);
  tf.dispose([value, ...Object.values(grads)]);
  return result;
}

describe('whole-model loss gradient', () => {
  afterAll(async () => {
    await useBackend([wasm]);
  });

  it('wasm gradient matches central differences (cpu, f64-accumulating kernels) for every layer type', async () => {
    await useBackend([wasm]);
    const model = new EfficientDet(config).eval();
    const { x, targets } = makeBatch(1);
    const analyticGradients = gradients(model, x, targets);
    const variables = model.namedParameters();
    const directions = new Map(LAYER_TYPES.map((name) => [name, tf.randomUniform((variables.get(name) as tf.Variable).shape, -1, 1, 'float32', 9)]));
    const analytic = new Map(
      LAYER_TYPES.map((name) => {
        const gradient = analyticGradients.get(name) as Float32Array;
        expect(Math.max(...gradient.map(Math.abs)), `${name} has a gradient`).toBeGreaterThan(0);
        const variable = variables.get(name) as tf.Variable;
        return [name, tf.tidy(() => tf.sum(tf.mul(tf.tensor(gradient, variable.shape), directions.get(name) as tf.Tensor)).dataSync()[0])];
      }),
    );
    // The numeric side runs on cpu: its kernels accumulate in float64, so the loss differences are not
    // drowned in float32 rounding the way they are on wasm (the loss is ~15; a 1e-6 relative error / 0.02).
    await useBackend([cpu]);
    const epsilon = 0.01;
    for (const name of LAYER_TYPES) {
      const variable = variables.get(name) as tf.Variable;
      const direction = directions.get(name) as tf.Tensor;
      const original = tf.clone(variable);
      variable.assign(tf.tidy(() => tf.add(original, tf.mul(direction, epsilon))));
      const plus = lossValue(model, x, targets);
      variable.assign(tf.tidy(() => tf.sub(original, tf.mul(direction, epsilon))));
      const minus = lossValue(model, x, targets);
      variable.assign(original);
      const numeric = (plus - minus) / (2 * epsilon);
      const expected = analytic.get(name) as number;
      expect(Math.abs(expected - numeric), `${name}: analytic ${expected}, numeric ${numeric}`).toBeLessThan(
        3e-2 * Math.max(Math.abs(expected), Math.abs(numeric)) + 1e-4,
      );
      tf.dispose([direction, original]);
    }
    tf.dispose([x, ...targets]);
    model.dispose();
  });
});

describe('training step', () => {
  it('leaks no tensors and moves the loss down on a repeated batch', () => {
    const model = new EfficientDet(config);
    const optimizer = new AdamW({ learningRate: 1e-3, weightDecay: 0 });
    const { x, targets } = makeBatch();
    const first = trainStep(model, optimizer, x, targets);
    const start = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 4; i++) last = trainStep(model, optimizer, x, targets, { clipGradientNorm: 10 });
    expect(tf.memory().numTensors).toBe(start);
    expect(last.loss).toBeLessThan(first.loss);
    expect(Number.isFinite(last.classificationLoss) && Number.isFinite(last.boxLoss)).toBe(true);
    tf.dispose([x, ...targets]);
    optimizer.dispose();
    model.dispose();
  });
});
