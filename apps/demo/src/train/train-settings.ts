import { TrainDataError } from './coco-upload.js';

/** The numbers of the Train form, as read from it. */
export interface TrainNumbers {
  inputSize: number;
  steps: number;
  batchSize: number;
  learningRate: number;
}

/** The largest input side the form takes (the model's own limit). */
export const MAX_TRAIN_SIZE = 2048;

/**
 * Checks the Train form's numbers before a worker starts, so that a typo is named at once.
 * @throws TrainDataError naming the field (`inputSize`, `steps`, `batchSize`, `learningRate`) and what it takes
 */
export function checkTrainNumbers(numbers: TrainNumbers): TrainNumbers {
  const wholeFrom = (name: keyof TrainNumbers, low: number, high = Number.MAX_SAFE_INTEGER) => {
    const value = numbers[name];
    if (!Number.isInteger(value) || value < low || value > high) {
      throw new TrainDataError(name, `${name}: expected a whole number from ${low}${high === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${high}`}, got ${value}`);
    }
  };
  wholeFrom('inputSize', 32, MAX_TRAIN_SIZE);
  wholeFrom('steps', 1);
  wholeFrom('batchSize', 1);
  if (!(numbers.learningRate > 0 && numbers.learningRate < 1)) {
    throw new TrainDataError('learningRate', `learningRate: expected a number above 0 and below 1, got ${numbers.learningRate}`);
  }
  return numbers;
}

/**
 * Training steps in an epoch of `trainImages` images at `batchSize`, as the worker cuts them: whole batches
 * only, unless there are fewer images than one batch (then one short batch).
 */
export function stepsPerEpoch(trainImages: number, batchSize: number): number {
  return trainImages >= batchSize ? Math.floor(trainImages / batchSize) : trainImages > 0 ? 1 : 0;
}

/** The steps of `epochs` whole epochs (the form's epochs field sets its steps field). */
export function stepsForEpochs(epochs: number, trainImages: number, batchSize: number): number {
  return epochs * stepsPerEpoch(trainImages, batchSize);
}

/** The epochs `steps` reach into, the last one perhaps partly (the form shows it next to the steps). */
export function epochsForSteps(steps: number, trainImages: number, batchSize: number): number {
  const perEpoch = stepsPerEpoch(trainImages, batchSize);
  return perEpoch === 0 ? 0 : Math.ceil(steps / perEpoch);
}
