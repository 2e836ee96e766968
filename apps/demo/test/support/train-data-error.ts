import { TrainDataError } from '../../src/train/coco-upload.js';

/** The `TrainDataError` that `run` throws; any other error is rethrown, and no error fails the test. */
export function trainDataErrorOf(run: () => unknown): TrainDataError {
  try {
    run();
  } catch (error) {
    if (error instanceof TrainDataError) return error;
    throw error;
  }
  throw new Error('expected a TrainDataError');
}

/** `trainDataErrorOf` for an asynchronous `run`. */
export async function asyncTrainDataErrorOf(run: () => Promise<unknown>): Promise<TrainDataError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof TrainDataError) return error;
    throw error;
  }
  throw new Error('expected a TrainDataError');
}
