import { batchesPerEpoch } from '@edet/data';
import { describe, expect, it } from 'vitest';

import { TrainDataError } from '../src/train/coco-upload.js';
import { checkTrainNumbers, epochsForSteps, stepsForEpochs, stepsPerEpoch } from '../src/train/train-settings.js';

const GOOD = { inputSize: 320, steps: 200, batchSize: 4, learningRate: 0.001 };

describe('checkTrainNumbers', () => {
  it('takes sensible numbers as they are', () => {
    expect(checkTrainNumbers(GOOD)).toEqual(GOOD);
  });

  it.each([
    ['inputSize', 0, 'inputSize: expected a whole number from 32 to 2048, got 0'],
    ['inputSize', 4096, 'inputSize: expected a whole number from 32 to 2048, got 4096'],
    ['steps', 2.5, 'steps: expected a whole number from 1 up, got 2.5'],
    ['batchSize', Number.NaN, 'batchSize: expected a whole number from 1 up, got NaN'],
    ['learningRate', 0, 'learningRate: expected a number above 0 and below 1, got 0'],
    ['learningRate', Number.NaN, 'learningRate: expected a number above 0 and below 1, got NaN'],
  ] as const)('refuses %s = %s, naming it', (field, value, message) => {
    let error: unknown;
    try {
      checkTrainNumbers({ ...GOOD, [field]: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(TrainDataError);
    expect((error as TrainDataError).argument).toBe(field);
    expect((error as TrainDataError).message).toBe(message);
  });
});

describe('steps and epochs', () => {
  it('counts whole batches of the training images, as the worker cuts its epochs', () => {
    // 8 images at batch 2: 4 steps; 9 at batch 2: the ninth is left out of every epoch (dropLast).
    expect(stepsPerEpoch(8, 2)).toBe(4);
    expect(stepsPerEpoch(9, 2)).toBe(4);
    expect(stepsPerEpoch(3, 4)).toBe(1);
    expect(stepsPerEpoch(0, 4)).toBe(0);
    expect(stepsPerEpoch(9, 2)).toBe(batchesPerEpoch(9, 2, true));
    expect(stepsPerEpoch(3, 4)).toBe(batchesPerEpoch(3, 4, false));
    expect(stepsForEpochs(5, 8, 2)).toBe(20);
    expect(epochsForSteps(20, 8, 2)).toBe(5);
    expect(epochsForSteps(21, 8, 2)).toBe(6);
    expect(epochsForSteps(5, 0, 2)).toBe(0);
  });
});
