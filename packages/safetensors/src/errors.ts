/**
 * The errors `@edet/safetensors` throws. Each names the file or argument, what was expected and what was
 * found, so a caller can both read the message and branch on the class.
 */

/** Base class of every error this package throws on purpose. */
export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The bytes are not a valid safetensors file: truncated, a malformed header, or a value that does not fit. */
export class SafetensorsFormatError extends SafetensorsError {
  constructor(
    /** The file or URL the bytes came from (`options.source`), `'safetensors'` when not given. */
    readonly file: string,
    /** What is wrong, in words. */
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

/** An argument of the writer has the wrong type or value (a tensor dtype, a reserved name, an option). */
export class SafetensorsArgumentError extends SafetensorsError {
  constructor(
    readonly argument: string,
    readonly expected: string,
    readonly received: string,
  ) {
    super(`${argument}: expected ${expected}, got ${received}`);
  }
}

/** Formats a shape the way every message prints it: `[1,3,512,512]`. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}
