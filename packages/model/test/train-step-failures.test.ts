// A failing training step leaves no tensors behind: every tensor made before the throw (the tape's saved
// copies, the sums of earlier passes, kept loss parts) is freed, whatever kind of bad input it was.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';

import { AdamW, InvalidArgumentError } from '@edet/tensor';
import { EfficientDet, lossGradients, trainStep, variableGradsFreeingOnThrow } from '@edet/model';

const model = new EfficientDet({ compoundCoef: 0, numClasses: 2, fpnLayers: 1, headLayers: 1, seed: 21 });
const optimizer = new AdamW({ learningRate: 1e-3, weightDecay: 0 });
const x = tf.randomNormal([2, 128, 128, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
const nanX = tf.fill([2, 128, 128, 3], NaN) as tf.Tensor4D;
const good = [tf.tensor2d([[8, 10, 60, 58, 1]]), tf.tensor2d([[30, 30, 100, 96, 0]])];
const badClass = tf.tensor2d([[8, 10, 60, 58, 7]]);
const nanBox = tf.tensor2d([[8, NaN, 60, 58, 1]]);
const flipped = tf.tensor2d([[60, 10, 8, 58, 1]]);
const wrongColumns = tf.tensor2d([[8, 10, 60, 58]]);

afterAll(() => {
  tf.dispose([x, nanX, ...good, badClass, nanBox, flipped, wrongColumns]);
  optimizer.dispose();
  model.dispose();
});

/** Every bad-input kind, each thrown as `InvalidArgumentError` naming the argument. */
const FAILURES: [string, tf.Tensor4D, tf.Tensor2D[], RegExp][] = [
  ['a class id the model lacks', x, [good[0], badClass], /^targets\[1\]: expected integer class ids in \[0, 2\)/],
  ['a NaN box', x, [nanBox, good[1]], /^targets\[0\]: expected finite values/],
  ['a box with x2 < x1', x, [good[0], flipped], /^targets\[1\]: expected boxes with x2 > x1/],
  ['targets of 4 columns', x, [good[0], wrongColumns], /^targets\[1\]: expected shape \[Ni, 5\]/],
  ['fewer targets than images', x, [good[0]], /^targets: expected one tensor per image: 2 \(the batch size of x\), got 1/],
  ['more targets than images', x, [good[0], good[1], good[0]], /^targets: expected one tensor per image: 2 \(the batch size of x\), got 3/],
  ['a NaN input', nanX, good, /^x: expected finite values/],
];

describe('a failing training step', () => {
  for (const microBatch of [undefined, 1]) {
    for (const [kind, input, targets, message] of FAILURES) {
      it(`leaves no tensors and the weights as they were: ${kind}${microBatch ? ', in passes of 1' : ''}`, () => {
        const weights = model.namedParameters().get('classifier.header.pointwise_conv.conv.bias')!.dataSync().slice();
        const before = tf.memory().numTensors;
        let error: unknown;
        try {
          trainStep(model, optimizer, input, targets, { channelsLast: true, microBatch });
        } catch (thrown) {
          error = thrown;
        }
        expect(error).toBeInstanceOf(InvalidArgumentError);
        expect((error as Error).message).toMatch(message);
        expect(tf.memory().numTensors).toBe(before);
        expect(model.namedParameters().get('classifier.header.pointwise_conv.conv.bias')!.dataSync()).toEqual(weights);
      });
    }
  }

  it('refuses a gradient-clipping norm that is not positive before any work', () => {
    const before = tf.memory().numTensors;
    for (const clipGradientNorm of [-1, 0, NaN]) {
      expect(() => trainStep(model, optimizer, x, good, { channelsLast: true, clipGradientNorm })).toThrow(/^clipGradientNorm: expected/);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a failure in a later pass frees the sums of the passes before it', () => {
    const before = tf.memory().numTensors;
    // The second pass fails on NaN pixels after the first pass's gradients were summed.
    const mixed = tf.concat([tf.slice(x, [0, 0, 0, 0], [1, -1, -1, -1]), tf.slice(nanX, [0, 0, 0, 0], [1, -1, -1, -1])]) as tf.Tensor4D;
    const made = tf.memory().numTensors;
    expect(() => lossGradients(model, mixed, good, { channelsLast: true }, 1)).toThrow(/^x: expected finite values/);
    expect(tf.memory().numTensors).toBe(made);
    mixed.dispose();
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before + 2);
  });

  it('variableGradsFreeingOnThrow frees what the tape kept, and only that', () => {
    const v = tf.variable(tf.tensor1d([1, 2, 3]));
    const before = tf.memory().numTensors;
    const failing = () => {
      tf.sum(tf.mul(tf.exp(v), tf.sin(v)));
      throw new Error('late failure');
    };
    expect(() => variableGradsFreeingOnThrow(failing as () => tf.Scalar, [v])).toThrow('late failure');
    expect(tf.memory().numTensors).toBe(before);
    // Inside an enclosing gradient call, the outer tape's saved tensors survive and its gradient is right.
    const outer = tf.grad((input: tf.Tensor) => {
      const kept = tf.exp(input);
      expect(() => variableGradsFreeingOnThrow(failing as () => tf.Scalar, [v])).toThrow('late failure');
      return tf.sum(kept);
    });
    const gradient = outer(tf.tensor1d([0, 1]));
    expect(Array.from(gradient.dataSync())).toEqual([1, Math.fround(Math.E)].map((value) => expect.closeTo(value, 5)) as never);
    gradient.dispose();
    // It still computes gradients when nothing throws.
    const { value, grads } = variableGradsFreeingOnThrow(() => tf.sum(tf.square(v)), [v]);
    expect(Array.from(grads[v.name].dataSync())).toEqual([2, 4, 6]);
    tf.dispose([value, ...Object.values(grads)]);
    v.dispose();
  });
});
