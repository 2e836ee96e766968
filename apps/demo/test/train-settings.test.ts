import { describe, expect, it } from 'vitest';

import { TrainDataError } from '../src/train/coco-upload.js';
import { checkTrainNumbers } from '../src/train/train-settings.js';

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
