import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';

import { EfficientDet } from '@edet/model';
import { InvalidArgumentError } from '@edet/tensor';

// A reduced D0 (one BiFPN and head layer, 3 classes) keeps these tests fast; the loss code is the same.
const config = { compoundCoef: 0, numClasses: 3, fpnLayers: 1, headLayers: 1, seed: 11 };

describe('getLoss', () => {
  const model = new EfficientDet(config);
  afterAll(() => model.dispose());
  const x = tf.randomNormal([2, 3, 128, 128], 0, 1, 'float32', 5) as tf.Tensor4D;
  const targets = [tf.tensor2d([[10, 12, 60, 70, 1], [64, 64, 120, 100, 2]]), tf.zeros([0, 5]) as tf.Tensor2D];
  // Tensors alive besides the model's own cache (inference passes keep its batch norms folded).
  const live = () => tf.memory().numTensors - model.cachedTensorCount();

  it('returns a finite scalar equal to the sum of its parts, leaking nothing', () => {
    const start = live();
    const parts = model.computeLoss(x, targets);
    const [loss, classification, box] = [parts.loss, parts.classificationLoss, parts.boxLoss].map((t) => t.dataSync()[0]);
    expect(parts.loss.shape).toEqual([]);
    expect(Number.isFinite(loss) && loss > 0).toBe(true);
    expect(classification).toBeGreaterThan(0);
    expect(box).toBeGreaterThan(0);
    expect(loss).toBeCloseTo(classification + box, 5);
    tf.dispose(Object.values(parts));
    const scalar = model.getLoss(x, targets);
    expect(scalar.dataSync()[0]).toBeCloseTo(loss, 5);
    scalar.dispose();
    expect(live()).toBe(start);
  });

  it('images without objects give zero box loss and a finite classification loss', () => {
    const parts = model.computeLoss(x, [tf.zeros([0, 5]) as tf.Tensor2D, tf.zeros([0, 5]) as tf.Tensor2D]);
    expect(parts.boxLoss.dataSync()[0]).toBe(0);
    expect(Number.isFinite(parts.classificationLoss.dataSync()[0])).toBe(true);
    tf.dispose(Object.values(parts));
  });

  it.each([
    ['a list shorter than the batch', () => [targets[0]], /^targets: expected one tensor per image: 2 \(the batch size of x\), got 1$/],
    ['not a list', () => targets[0], /^targets: expected an array of 2 tensors \[Ni, 5\]/],
    ['a row that is not 5 wide', () => [tf.zeros([1, 4]), targets[1]], /^targets\[0\]: expected shape \[Ni, 5\] with rows \[x1, y1, x2, y2, classId\], got shape \[1,4\]$/],
    ['x2 <= x1', () => [tf.tensor2d([[50, 10, 50, 30, 0]]), targets[1]], /^targets\[0\]: expected boxes with x2 > x1 and y2 > y1, got row 0 \[50, 10, 50, 30, 0\]$/],
    ['y2 <= y1', () => [targets[0], tf.tensor2d([[5, 40, 30, 20, 0]])], /^targets\[1\]: expected boxes with x2 > x1 and y2 > y1/],
    ['class id out of range', () => [tf.tensor2d([[5, 5, 30, 30, 3]]), targets[1]], /^targets\[0\]: expected integer class ids in \[0, 3\), got row 0/],
    ['fractional class id', () => [tf.tensor2d([[5, 5, 30, 30, 1.5]]), targets[1]], /integer class ids/],
    ['NaN coordinate', () => [tf.tensor2d([[NaN, 5, 30, 30, 1]]), targets[1]], /^targets\[0\]: expected finite values, got row 0/],
  ])('rejects %s', (_, make, message) => {
    const bad = make();
    const start = live();
    expect(() => model.getLoss(x, bad as tf.Tensor2D[])).toThrow(InvalidArgumentError);
    expect(() => model.getLoss(x, bad as tf.Tensor2D[])).toThrow(message);
    expect(live()).toBe(start);
  });

  it('training mode uses batch statistics and updates the running statistics', () => {
    const bn = model.classifier.bnList.at(0).at(0);
    const before = bn.runningMean.dataSync().slice();
    model.eval();
    tf.dispose(model.getLoss(x, targets));
    expect(Array.from(bn.runningMean.dataSync())).toEqual(Array.from(before));
    model.train();
    tf.dispose(model.getLoss(x, targets));
    expect(Array.from(bn.runningMean.dataSync())).not.toEqual(Array.from(before));
    model.eval();
  });
});
