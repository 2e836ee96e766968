import { type InputSize, inputShape, isInputSize } from '@edet/model';

import { TrainError } from './errors.js';

/**
 * The largest input side training allocates for. Beyond it the activations of one image no longer fit a
 * typed array or the wasm heap (4096 fails inside a kernel with `memory access out of bounds`), so the run is
 * refused before anything is allocated. EfficientDet's own presets stop at 1536 (D7).
 */
export const MAX_TRAIN_SIZE = 2048;

/** The most float32 values one batch tensor [batch, height, width, 3] may hold (1 GiB): `--batch` x height x width x 3. */
export const MAX_BATCH_VALUES = 2 ** 28;

/** The sizes of a run that decide what it allocates. */
export interface RunSizes {
  /** The network input: a square side or `[height, width]`. */
  size: InputSize;
  batch: number;
  microBatch: number;
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/** An input size as the command line writes it: `512`, or `384x640` for `[height, width]`. */
export function formatInputSize(size: InputSize): string {
  return Array.isArray(size) ? size.join('x') : String(size);
}

/**
 * Checks a run's input size, batch and micro-batch before anything is allocated: a size (a square side or
 * `[height, width]`) of positive integer sides up to `MAX_TRAIN_SIZE` (any side: the model rounds its feature
 * maps up, as effdet does, so Lite0's 320 trains as it runs), a batch tensor within
 * `MAX_BATCH_VALUES`, and passes of 1 to `batch` images (a pass larger than the batch would silently be the batch).
 * @throws TrainError naming the option (`--size`, `--batch`, `--micro-batch`), its value and the limit
 */
export function checkRunSizes({ size, batch, microBatch }: RunSizes): void {
  const text = formatInputSize(size);
  const square = typeof size === 'number';
  const sides: unknown[] = square ? [size] : isInputSize(size) ? [...size] : [];
  if (sides.length === 0 || !sides.every(isPositiveInteger)) {
    throw new TrainError(`--size ${text}: expected a positive integer side or a height and width of positive integers, e.g. 512 or 384x640`);
  }
  const [height, width] = inputShape(size);
  if (Math.max(height, width) > MAX_TRAIN_SIZE) {
    const use = typeof size === 'number' ? `--size ${MAX_TRAIN_SIZE} or less` : `a height and width of ${MAX_TRAIN_SIZE} or less`;
    throw new TrainError(
      `--size ${text}: training takes input sizes up to ${MAX_TRAIN_SIZE} (one ${height}x${width} image's activations do not fit the memory a backend can address); use ${use}`,
    );
  }
  if (!isPositiveInteger(batch)) throw new TrainError(`--batch ${batch}: expected a positive integer`);
  if (!isPositiveInteger(microBatch)) throw new TrainError(`--micro-batch ${microBatch}: expected a positive integer`);
  if (microBatch > batch) {
    throw new TrainError(`--micro-batch ${microBatch} is larger than --batch ${batch}: a pass holds at most the step's images; use --micro-batch ${batch} or less`);
  }
  const values = batch * height * width * 3;
  if (values > MAX_BATCH_VALUES) {
    const largest = Math.floor(MAX_BATCH_VALUES / (height * width * 3));
    throw new TrainError(
      `--batch ${batch} at --size ${text} needs a ${(values * 4 / 2 ** 30).toFixed(1)} GiB batch tensor, more than the 1 GiB limit; use --batch ${largest} or less, or a smaller --size`,
    );
  }
}
