/**
 * The evaluator's typed errors. They extend `Error` directly, not an edet base class, so that the package
 * depends on nothing (no tfjs); a caller branches on `CocoEvalError` or one of its subclasses.
 */

/** Base class of every error `@edet/coco-eval` throws on purpose. */
export class CocoEvalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * An input does not have the expected form: a field of the wrong type, a duplicate id, a reference to an
 * unknown image or category. The message reads `<argument>: expected <expected>, got <received>`.
 */
export class CocoInputError extends CocoEvalError {
  constructor(
    /** Where the bad value is, e.g. `groundTruth.annotations[3].bbox` or `categoryId`. */
    readonly argument: string,
    readonly expected: string,
    readonly received: string,
  ) {
    super(`${argument}: expected ${expected}, got ${received}`);
  }
}

/** A file (ground truth, results, an image of a dataset folder) is missing or not in the expected format. */
export class CocoFileError extends CocoEvalError {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}
