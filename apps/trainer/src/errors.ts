import { EdetError } from '@edet/tensor';

/** An error the command line reports to its user as one line, `edet: <message>`, with a non-zero exit. */
export class CliError extends EdetError {}

/** The longest message printed; a state-dict error can list hundreds of keys. */
const MAX_MESSAGE_LENGTH = 600;

/**
 * Turns any thrown value into the one line printed after `edet: `. Multi-line messages (a backend list, a
 * list of missing keys) are joined with `; ` so that the error stays one line.
 */
export function oneLineMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text
    .split('\n')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .join('; ');
  return line.length > MAX_MESSAGE_LENGTH ? `${line.slice(0, MAX_MESSAGE_LENGTH - 1)}…` : line;
}
