import { InvalidArgumentError, describeValue } from '@edet/tensor';

/**
 * The network input size: a square side in pixels, or `[height, width]`. Any positive integers: feature maps
 * halve with rounding up at every level and anchors take the fractional stride, as effdet and the official
 * TF code do (e.g. 320 for Lite0, `[384, 640]` for 16:9 video).
 */
export type InputSize = number | readonly [number, number];

/** What `InputSize` accepts, for error messages. */
export const INPUT_SIZE_EXPECTED = 'a positive integer (square side) or [height, width] of positive integers';

const isSide = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value > 0;

/** Whether `value` is a valid `InputSize`. */
export function isInputSize(value: unknown): value is InputSize {
  return isSide(value) || (Array.isArray(value) && value.length === 2 && value.every(isSide));
}

/**
 * `[height, width]` of an input size.
 * @throws InvalidArgumentError naming `argument` when `size` is not an `InputSize`
 */
export function inputShape(size: InputSize, argument = 'inputSize'): [number, number] {
  if (!isInputSize(size)) {
    // An array is shown whole (`[384,-640]`); anything else as describeValue shows it (NaN, "512", null).
    throw new InvalidArgumentError(argument, INPUT_SIZE_EXPECTED, Array.isArray(size) ? JSON.stringify(size) : describeValue(size));
  }
  return typeof size === 'number' ? [size, size] : [size[0], size[1]];
}
