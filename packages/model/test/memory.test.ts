import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';

import { EfficientDet } from '@edet/model';

describe('tensor memory', () => {
  // At 256, as the inputs below: detect letterboxes to the same size.
  const model = new EfficientDet({ compoundCoef: 0, seed: 3, inputSize: 256 });
  afterAll(() => model.dispose());

  it('forward returns exactly three new tensors and keeps nothing else', () => {
    const x = tf.randomNormal([2, 3, 256, 256]) as tf.Tensor4D;
    const start = tf.memory().numTensors;
    const outputs = model.forward(x);
    expect(tf.memory().numTensors).toBe(start + 3);
    tf.dispose(outputs);
    expect(tf.memory().numTensors).toBe(start);
    x.dispose();
  });

  it('predict and detect leave the tensor count unchanged', async () => {
    // Batch 2 at 256, as forward above and detect below: GPU backends compile their programs once.
    const x = tf.randomNormal([2, 3, 256, 256]) as tf.Tensor4D;
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
