import { InvalidArgumentError } from 'commander';
import type { InputSize } from '@edet/model';

// Parsers for option values. Commander reports their InvalidArgumentError as
// `option '--x <v>' argument 'y' is invalid. <message>`, which the program prints as one `edet:` line.

/** A finite number in [0, 1] (score and IoU thresholds). */
export function parseFraction(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < 0 || number > 1) {
    throw new InvalidArgumentError('expected a number from 0 to 1.');
  }
  return number;
}

/** An integer >= `minimum`, written in decimal. */
export function integerParser(minimum: number): (value: string) => number {
  return (value: string) => {
    const number = Number(value);
    if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(number) || number < minimum) {
      throw new InvalidArgumentError(`expected an integer >= ${minimum}.`);
    }
    return number;
  };
}

/** A positive integer, or `all` for no limit (`Infinity`). */
export function parseLimit(value: string): number {
  if (value.trim().toLowerCase() === 'all') return Infinity;
  try {
    return integerParser(1)(value);
  } catch {
    throw new InvalidArgumentError('expected an integer >= 1 or "all".');
  }
}

/**
 * An input size the network accepts: a positive side (`512`, any integer: feature maps round up), or
 * `HEIGHTxWIDTH` (`384x640`). A square `HxH` is returned as the side.
 */
export function parseInputSize(value: string): InputSize {
  const match = /^\s*(\d+)\s*(?:[xX]\s*(\d+)\s*)?$/.exec(value);
  const sides = match === null ? [] : [Number(match[1]), Number(match[2] ?? match[1])];
  if (sides.length === 0 || sides.some((side) => !Number.isSafeInteger(side) || side < 1)) {
    throw new InvalidArgumentError('expected a positive side (512) or HEIGHTxWIDTH (384x640).');
  }
  return sides[0] === sides[1] ? sides[0] : [sides[0], sides[1]];
}

/**
 * An input size training takes: as `parseInputSize` (`@edet/train`'s `checkRunSizes` bounds the sides to
 * `MAX_TRAIN_SIZE` and the batch tensor to 1 GiB).
 */
export const parseTrainSize: (value: string) => InputSize = parseInputSize;
