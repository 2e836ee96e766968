import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';

import { EfficientDet } from '@edet/model';
import { BatchNorm2d, type Module } from '@edet/tensor';

/** Batch norms in `module` and its children. */
function batchNormCount(module: Module): number {
  return (module instanceof BatchNorm2d ? 1 : 0) + module.children().reduce((sum, [, child]) => sum + batchNormCount(child), 0);
}

describe('tensor memory', () => {
  // At 128, as the inputs below: detect letterboxes to the same size. Batch 2 at 128 is also where
  // errors.test.ts and loss.test.ts run D0's backbone: in browser mode the GPU backends reuse its programs.
  const model = new EfficientDet({ compoundCoef: 0, seed: 3, inputSize: 128 });
  afterAll(() => model.dispose());

  it('forward returns exactly three new tensors and keeps nothing else but its folded batch norms', () => {
    const x = tf.randomNormal([2, 3, 128, 128]) as tf.Tensor4D;
    const start = tf.memory().numTensors;
    // The first inference pass folds every batch norm into its convolution: a filter and a bias each.
    const outputs = model.forward(x);
    const norms = batchNormCount(model);
    expect(norms).toBeGreaterThan(100);
    expect(model.cachedTensorCount()).toBe(2 * norms);
    expect(tf.memory().numTensors).toBe(start + 3 + 2 * norms);
    tf.dispose(outputs);
    // Later passes reuse them.
    tf.dispose(model.forward(x));
    expect(tf.memory().numTensors).toBe(start + 2 * norms);
    // Training mode frees them.
    model.train();
    expect(tf.memory().numTensors).toBe(start);
    model.eval();
    x.dispose();
  });

  it('predict and detect leave the tensor count unchanged', async () => {
    // Batch 2 at 128, as forward above: GPU backends compile its programs once.
    const x = tf.randomNormal([2, 3, 128, 128]) as tf.Tensor4D;
    tf.dispose(model.forward(x));
    const start = tf.memory().numTensors;
    await model.predict(x, { scoreThreshold: 0.05 });
    expect(tf.memory().numTensors).toBe(start);
    const image = { data: new Uint8Array(300 * 200 * 4).fill(128), width: 300, height: 200, channels: 4 as const };
    await model.detect([image, image]);
    expect(tf.memory().numTensors).toBe(start);
    x.dispose();
  });

  it('dispose frees every variable', () => {
    const start = tf.memory().numTensors;
    const other = new EfficientDet({ compoundCoef: 0 });
    expect(tf.memory().numTensors).toBeGreaterThan(start + 600);
    other.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });
});
