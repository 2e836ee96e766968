/**
 * Typed errors shared by every edet package. Each names the argument, what was expected and what was given,
 * so a caller can both read the message and branch on the class.
 */

/** Base class of every error edet throws on purpose. */
export class EdetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** An argument has the wrong shape, rank, size, dtype or value. */
export class InvalidArgumentError extends EdetError {
  constructor(
    readonly argument: string,
    readonly expected: string,
    readonly received: string,
  ) {
    super(`${argument}: expected ${expected}, got ${received}`);
  }
}

/** A state dict or checkpoint does not fit the module it is loaded into. */
export class StateDictError extends EdetError {
  constructor(
    message: string,
    readonly missingKeys: string[] = [],
    readonly unexpectedKeys: string[] = [],
    readonly mismatchedKeys: string[] = [],
  ) {
    super(message);
  }
}

/** A file (checkpoint, image, dataset) could not be read or is not in the expected format. */
export class FileFormatError extends EdetError {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

/** Formats a shape the way every message prints it: `[1,3,512,512]`. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/**
 * Any thrown value as one line: its message's lines, trimmed, joined with `; ` (a backend list or a list of
 * missing keys stays one line in a log or a terminal).
 */
export function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text
    .split('\n')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .join('; ');
}
