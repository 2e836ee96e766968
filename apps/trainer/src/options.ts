import { InvalidArgumentError } from 'commander';

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

/** An input side the network accepts: a positive multiple of 128 (EfficientDet downsamples by 2^7). */
export function parseInputSize(value: string): number {
  const size = integerParser(1)(value);
  if (size % 128 !== 0) throw new InvalidArgumentError('expected a multiple of 128 (e.g. 512).');
  return size;
}
