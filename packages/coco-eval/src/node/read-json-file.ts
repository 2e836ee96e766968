import { readFile } from 'node:fs/promises';

import { CocoFileError } from '../errors.js';

/** Why a file could not be read, in words, for the errno codes a user can cause. */
const READ_PROBLEMS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'is a directory, not a file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

/**
 * Reads and parses a JSON file (a UTF-8 byte-order mark is allowed); a missing, unreadable or directory
 * path, or invalid JSON, becomes a `CocoFileError` naming the file (`gt.json: no such file`).
 */
export async function readJsonFile(path: string): Promise<unknown> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    throw new CocoFileError(path, READ_PROBLEMS[code] ?? `cannot be read (${firstLine(error)})`);
  }
  const text = new TextDecoder('utf-8').decode(bytes).replace(/^\uFEFF/, '');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CocoFileError(path, `invalid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}
