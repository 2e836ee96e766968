import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';

import { checkPostprocessOptions } from '@edet/anchors';
import { EfficientDet, checkLossOptions, letterboxImage, lossGradients } from '@edet/model';
import { InvalidArgumentError } from '@edet/tensor';

// Every numeric or named option of predict, detect, forward and getLoss is checked before any tensor is
// made: a bad one is an InvalidArgumentError naming the option and its accepted range, and nothing leaks.
describe('bad options', () => {
  const model = new EfficientDet({ compoundCoef: 0, numClasses: 3, fpnLayers: 1, headLayers: 1 });
  const x = tf.zeros([1, 3, 128, 128]) as tf.Tensor4D;
  const image = { data: new Uint8Array(20 * 10 * 3), width: 20, height: 10, channels: 3 as const };
  afterAll(() => {
    x.dispose();
    model.dispose();
  });

  const predictCases: [Record<string, unknown>, string][] = [
    [{ scoreThreshold: -1 }, 'scoreThreshold: expected a number in [0, 1], got -1'],
    [{ scoreThreshold: NaN }, 'scoreThreshold: expected a number in [0, 1], got NaN'],
    [{ scoreThreshold: 1.5 }, 'scoreThreshold: expected a number in [0, 1], got 1.5'],
    [{ scoreThreshold: '0.5' }, 'scoreThreshold: expected a number in [0, 1], got "0.5"'],
    [{ iouThreshold: 2 }, 'iouThreshold: expected a number in [0, 1], got 2'],
    [{ iouThreshold: -0.1 }, 'iouThreshold: expected a number in [0, 1], got -0.1'],
    [{ iouThreshold: NaN }, 'iouThreshold: expected a number in [0, 1], got NaN'],
    [{ maxDetections: 1.5 }, 'maxDetections: expected an integer >= 0 or Infinity, got 1.5'],
    [{ maxDetections: -1 }, 'maxDetections: expected an integer >= 0 or Infinity, got -1'],
    [{ maxDetections: NaN }, 'maxDetections: expected an integer >= 0 or Infinity, got NaN'],
    [{ nms: 'hard' }, "nms: expected one of 'per-class', 'agnostic', 'soft', got \"hard\""],
    [{ nms: 'soft', softNmsSigma: 0 }, 'softNmsSigma: expected a finite number > 0, got 0'],
    [{ softNmsSigma: -1 }, 'softNmsSigma: expected a finite number > 0, got -1'],
    [{ softNmsSigma: Infinity }, 'softNmsSigma: expected a finite number > 0, got Infinity'],
    [{ softNmsSigma: NaN }, 'softNmsSigma: expected a finite number > 0, got NaN'],
  ];

  it.each(predictCases)('predict %o', async (options, message) => {
    const start = tf.memory().numTensors;
    await expect(model.predict(x, options)).rejects.toThrow(InvalidArgumentError);
    await expect(model.predict(x, options)).rejects.toThrow(message);
    expect(tf.memory().numTensors).toBe(start);
  });

  it.each([
    ...predictCases,
    [{ clipToImage: 'no' }, 'clipToImage: expected true or false, got "no"'],
  ] as [Record<string, unknown>, string][])('detect %o', async (options, message) => {
    const start = tf.memory().numTensors;
    await expect(model.detect(image, options)).rejects.toThrow(InvalidArgumentError);
    await expect(model.detect(image, options)).rejects.toThrow(message);
    expect(tf.memory().numTensors).toBe(start);
  });

  it('options that are not an object, and channelsLast that is not a boolean', async () => {
    const start = tf.memory().numTensors;
    await expect(model.predict(x, null as never)).rejects.toThrow('options: expected an object of options, got null');
    await expect(model.detect(image, 0.5 as never)).rejects.toThrow('options: expected an object of options, got 0.5');
    await expect(model.predict(x, { channelsLast: 1 } as never)).rejects.toThrow('channelsLast: expected true or false, got 1');
    expect(() => model.forward(x, { channelsLast: 'yes' } as never)).toThrow('channelsLast: expected true or false, got "yes"');
    expect(() => model.extractFeatures(x, [] as never)).toThrow('options: expected an object of options, got an array of length 0');
    expect(tf.memory().numTensors).toBe(start);
  });

  it('letterboxImage refuses a size that is not a positive integer or [height, width]', () => {
    const start = tf.memory().numTensors;
    for (const [size, received] of [[NaN, 'NaN'], [0, '0'], [12.5, '12.5'], [Infinity, 'Infinity'], ['512', '"512"']] as [number, string][]) {
      expect(() => letterboxImage(image, size)).toThrow(InvalidArgumentError);
      expect(() => letterboxImage(image, size)).toThrow(`size: expected a positive integer (square side) or [height, width] of positive integers, got ${received}`);
    }
    expect(tf.memory().numTensors).toBe(start);
  });

  it('the edges of each range are accepted (checked without running the network)', () => {
    for (const options of [
      { scoreThreshold: 0, iouThreshold: 1, maxDetections: 0 },
      { scoreThreshold: 1, iouThreshold: 0, maxDetections: Infinity, nms: 'soft' as const, softNmsSigma: 1e-6 },
    ]) {
      expect(() => checkPostprocessOptions(options)).not.toThrow();
    }
    expect(() => checkLossOptions({ alpha: 0, gamma: 0, smoothL1Beta: 0, boxLossWeight: 0, positiveIou: 0.4, negativeIou: 0.4 })).not.toThrow();
    expect(() => checkLossOptions({ alpha: 1, positiveIou: 1, negativeIou: 0, huberDelta: 1e-9, matchLowQuality: true })).not.toThrow();
  });

  const lossCases: [Record<string, unknown>, string][] = [
    [{ alpha: 2 }, 'alpha: expected a number in [0, 1], got 2'],
    [{ gamma: -1 }, 'gamma: expected a finite number >= 0, got -1'],
    [{ gamma: NaN }, 'gamma: expected a finite number >= 0, got NaN'],
    [{ boxLoss: 'l2' }, "boxLoss: expected one of 'smooth-l1', 'huber', 'iou', 'giou', 'diou', 'ciou', got \"l2\""],
    [{ boxLossWeight: Infinity }, 'boxLossWeight: expected a finite number >= 0, got Infinity'],
    [{ smoothL1Beta: -0.5 }, 'smoothL1Beta: expected a finite number >= 0, got -0.5'],
    [{ huberDelta: 0 }, 'huberDelta: expected a finite number > 0, got 0'],
    [{ positiveIou: 1.5 }, 'positiveIou: expected a number in [0, 1], got 1.5'],
    [{ negativeIou: -1 }, 'negativeIou: expected a number in [0, 1], got -1'],
    [{ positiveIou: 0.3 }, 'negativeIou: expected at most positiveIou (0.3), got 0.4'],
    [{ matchLowQuality: 1 }, 'matchLowQuality: expected true or false, got 1'],
    [{ channelsLast: 'no' }, 'channelsLast: expected true or false, got "no"'],
  ];

  it.each(lossCases)('getLoss %o', (options, message) => {
    const targets = [tf.tensor2d([[10, 10, 50, 50, 1]])];
    const start = tf.memory().numTensors;
    expect(() => model.getLoss(x, targets, options)).toThrow(InvalidArgumentError);
    expect(() => model.getLoss(x, targets, options)).toThrow(message);
    expect(() => model.computeLoss(x, targets, options)).toThrow(message);
    expect(tf.memory().numTensors).toBe(start);
    tf.dispose(targets);
  });

  it.each([
    [{}, 0.5, 'microBatch: expected an integer >= 1 or Infinity, got 0.5'],
    [{}, NaN, 'microBatch: expected an integer >= 1 or Infinity, got NaN'],
    [{}, 0, 'microBatch: expected an integer >= 1 or Infinity, got 0'],
    [{ gamma: -1 }, undefined, 'gamma: expected a finite number >= 0, got -1'],
  ] as [Record<string, unknown>, number | undefined, string][])('lossGradients (trainStep) %o microBatch %s', (options, microBatch, message) => {
    const targets = [tf.tensor2d([[10, 10, 50, 50, 1]])];
    const start = tf.memory().numTensors;
    expect(() => lossGradients(model, x, targets, options, microBatch)).toThrow(InvalidArgumentError);
    expect(() => lossGradients(model, x, targets, options, microBatch)).toThrow(message);
    expect(tf.memory().numTensors).toBe(start);
    tf.dispose(targets);
  });
});
