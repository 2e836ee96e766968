import { TrainError } from './errors.js';

/**
 * The largest input side training allocates for. Beyond it the activations of one image no longer fit a
 * typed array or the wasm heap (4096 fails inside a kernel with `memory access out of bounds`), so the run is
 * refused before anything is allocated. EfficientDet's own presets stop at 1536 (D7).
 */
export const MAX_TRAIN_SIZE = 2048;

/** The most float32 values one batch tensor [batch, size, size, 3] may hold (1 GiB): `--batch` x `--size`² x 3. */
export const MAX_BATCH_VALUES = 2 ** 28;

/** The sizes of a run that decide what it allocates. */
export interface RunSizes {
  size: number;
  batch: number;
  microBatch: number;
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/**
 * Checks a run's input size, batch and micro-batch before anything is allocated: a size that is a multiple
 * of 128 from 128 to `MAX_TRAIN_SIZE`, a batch tensor within `MAX_BATCH_VALUES`, and passes of 1 to `batch`
 * images (a pass larger than the batch would silently be the batch).
 * @throws TrainError naming the option (`--size`, `--batch`, `--micro-batch`), its value and the limit
 */
export function checkRunSizes({ size, batch, microBatch }: RunSizes): void {
  if (!isPositiveInteger(size) || size % 128 !== 0) {
    throw new TrainError(`--size ${size}: expected a multiple of 128 (EfficientDet downsamples by 2^7), e.g. 512`);
  }
  if (size > MAX_TRAIN_SIZE) {
    throw new TrainError(
      `--size ${size}: training takes input sizes up to ${MAX_TRAIN_SIZE} (one ${size}x${size} image's activations do not fit the memory a backend can address); use --size ${MAX_TRAIN_SIZE} or less`,
    );
  }
  if (!isPositiveInteger(batch)) throw new TrainError(`--batch ${batch}: expected a positive integer`);
  if (!isPositiveInteger(microBatch)) throw new TrainError(`--micro-batch ${microBatch}: expected a positive integer`);
  if (microBatch > batch) {
    throw new TrainError(`--micro-batch ${microBatch} is larger than --batch ${batch}: a pass holds at most the step's images; use --micro-batch ${batch} or less`);
  }
  const values = batch * size * size * 3;
  if (values > MAX_BATCH_VALUES) {
    const largest = Math.floor(MAX_BATCH_VALUES / (size * size * 3));
    throw new TrainError(
      `--batch ${batch} at --size ${size} needs a ${(values * 4 / 2 ** 30).toFixed(1)} GiB batch tensor, more than the 1 GiB limit; use --batch ${largest} or less, or a smaller --size`,
    );
  }
}
