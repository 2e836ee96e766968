import { readFile } from 'node:fs/promises';

import { FileFormatError } from '@edet/tensor';

/** Why a file could not be read, in words, for the errno codes a user can cause. */
const READ_PROBLEMS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'is a directory, not a file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

/**
 * Reads a whole file; a missing, unreadable or directory path becomes a `FileFormatError` that names the
 * file and says what is wrong (`photo.jpg: no such file`) instead of Node's `ENOENT: ...` text.
 */
export async function readInputFile(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    throw new FileFormatError(path, READ_PROBLEMS[code] ?? `cannot be read (${oneLine(error)})`);
  }
}

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}
