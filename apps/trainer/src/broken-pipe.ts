/** A stream that reports write failures as `error` events (`process.stdout`, `process.stderr`). */
interface ErrorEmitter {
  on(event: 'error', listener: (error: NodeJS.ErrnoException) => void): unknown;
}

/**
 * Ends the process quietly when the reader of `stream` goes away (`edet detect --json | head -1`): the write
 * fails with EPIPE, and without a listener Node prints a stack trace for the unhandled `error` event. Nobody
 * is left to read more output, so the process exits with the status it has so far (0 unless a failure set
 * one). Any other stream error is thrown as before.
 * @param exit how to end the process (tests pass their own)
 */
export function exitQuietlyOnBrokenPipe(stream: ErrorEmitter, exit: (code: number) => void = (code) => process.exit(code)): void {
  stream.on('error', (error) => {
    if (error.code !== 'EPIPE') throw error;
    exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  });
}
