import { InvalidArgumentError } from './errors.js';

/**
 * Checks of option values, shared by every package whose public functions take options: each names the
 * option and the accepted range, and runs before any tensor is made, so a bad option leaks nothing.
 */

/** The accepted range of a numeric option. */
export interface NumberRange {
  /** Smallest accepted value (inclusive unless `minExclusive`). Default -Infinity. */
  min?: number;
  /** Largest accepted value (inclusive unless `maxExclusive`). Default Infinity. */
  max?: number;
  minExclusive?: boolean;
  maxExclusive?: boolean;
  /** Only whole numbers (Infinity counts when `max` allows it). */
  integer?: boolean;
}

/** A value for a message: numbers and short strings as they are, other things described briefly. */
export function describeValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value == null) return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    return `${Object.prototype.toString.call(value).slice(8, -1)} of ${(value as ArrayBuffer).byteLength} bytes`;
  }
  return typeof value === 'object' ? `an object (${Object.prototype.toString.call(value).slice(8, -1)})` : typeof value;
}

/** The range in words: `a number in [0, 1]`, `an integer >= 0 or Infinity`, `a finite number > 0`. */
export function describeRange(range: NumberRange): string {
  const { min = -Infinity, max = Infinity, minExclusive = false, maxExclusive = false, integer = false } = range;
  // An exclusive bound at Infinity means "finite": said in words rather than as an interval to Infinity.
  const finite = max === Infinity && maxExclusive;
  const kind = integer ? 'an integer' : finite ? 'a finite number' : 'a number';
  const infinity = integer && max === Infinity && !maxExclusive ? ' or Infinity' : '';
  if (min !== -Infinity && max !== Infinity) return `${kind} in ${minExclusive ? '(' : '['}${min}, ${max}${maxExclusive ? ')' : ']'}`;
  if (min !== -Infinity) return `${kind} ${minExclusive ? '>' : '>='} ${min}${infinity}`;
  if (max !== Infinity) return `${kind} ${maxExclusive ? '<' : '<='} ${max}`;
  return `${kind} (not NaN)`;
}

/**
 * Checks a numeric option: a number (not NaN) within `range`.
 * @returns `value`, typed
 * @throws InvalidArgumentError naming `name` and the range
 */
export function checkNumberOption(value: unknown, name: string, range: NumberRange): number {
  const { min = -Infinity, max = Infinity, minExclusive = false, maxExclusive = false, integer = false } = range;
  const ok =
    typeof value === 'number' &&
    !Number.isNaN(value) &&
    (minExclusive ? value > min : value >= min) &&
    (maxExclusive ? value < max : value <= max) &&
    (!integer || Number.isInteger(value) || value === Infinity);
  if (!ok) throw new InvalidArgumentError(name, describeRange(range), describeValue(value));
  return value as number;
}

/** `checkNumberOption` for an option that may be left out (`undefined`). */
export function checkOptionalNumber(value: unknown, name: string, range: NumberRange): void {
  if (value !== undefined) checkNumberOption(value, name, range);
}

/**
 * Checks an option that takes one of a few strings.
 * @throws InvalidArgumentError naming `name` and the choices
 */
export function checkOptionalChoice(value: unknown, name: string, choices: readonly string[]): void {
  if (value === undefined || choices.includes(value as string)) return;
  throw new InvalidArgumentError(name, `one of ${choices.map((choice) => `'${choice}'`).join(', ')}`, describeValue(value));
}

/** Checks an option that is true or false when given. */
export function checkOptionalBoolean(value: unknown, name: string): void {
  if (value !== undefined && typeof value !== 'boolean') throw new InvalidArgumentError(name, 'true or false', describeValue(value));
}

/**
 * Checks that an options argument is an object (or left out) and returns it as a record to read options from.
 * @throws InvalidArgumentError naming `name`
 */
export function checkOptionsObject(value: unknown, name = 'options'): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidArgumentError(name, 'an object of options', describeValue(value));
  }
  return value as Record<string, unknown>;
}
