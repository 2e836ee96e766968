/**
 * The error `@edet/pth` throws for every file it cannot read: not a checkpoint, truncated, a storage shorter
 * than its tensors, a zip entry missing, an absurd size, an unknown pickle opcode, nesting too deep. It names
 * the file and says what was expected, so a caller can both read the message and branch on the class.
 */
export class PthError extends Error {
  constructor(
    /** The file or URL the bytes came from (`options.source`), `'checkpoint.pth'` when not given. */
    readonly file: string,
    /** What is wrong, in words. */
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'PthError';
  }
}

/** An argument of the reader has the wrong value (an option), named with what was expected. */
export class PthArgumentError extends Error {
  constructor(
    readonly argument: string,
    readonly expected: string,
    readonly received: string,
  ) {
    super(`${argument}: expected ${expected}, got ${received}`);
    this.name = 'PthArgumentError';
  }
}
