/**
 * The data package's typed errors. Each message is one line that names the file, folder or argument and
 * what was expected, so a command line can print it as is.
 */

/** Base class of every error `@edet/data` throws on purpose (a dataset that cannot be read, a bad option). */
export class DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A file (an image, an annotation file) is missing or not in the expected format: `<file>: <problem>`. */
export class DataFileError extends DataError {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}
