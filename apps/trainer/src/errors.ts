import { EdetError, errorText } from '@edet/tensor';

/** An error the command line reports to its user as one line, `edet: <message>`, with a non-zero exit. */
export class CliError extends EdetError {}

/** The longest message printed; a state-dict error can list hundreds of keys. */
const MAX_MESSAGE_LENGTH = 600;

/**
 * Turns any thrown value into the one line printed after `edet: `. Multi-line messages (a backend list, a
 * list of missing keys) are joined with `; ` so that the error stays one line.
 */
export function oneLineMessage(error: unknown): string {
  const line = errorText(error);
  return line.length > MAX_MESSAGE_LENGTH ? `${line.slice(0, MAX_MESSAGE_LENGTH - 1)}…` : line;
}
