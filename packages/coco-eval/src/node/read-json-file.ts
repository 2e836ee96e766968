import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

import { CocoFileError } from '../errors.js';

/** Why a file could not be read, in words, for the errno codes a user can cause. */
const READ_PROBLEMS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'is a directory, not a file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

/** The largest JSON file read: 512 MiB, about V8's longest string (COCO 2017 train's instances are 448 MB). */
export const MAX_JSON_FILE_BYTES = 512 * 1024 * 1024;

/**
 * Reads and parses a JSON file, a regular file of at most `MAX_JSON_FILE_BYTES` (a device such as
 * `/dev/zero`, a pipe or a folder is refused before reading) (a UTF-8 byte-order mark is allowed); a missing, unreadable or directory
 * path, or invalid JSON, becomes a `CocoFileError` naming the file (`gt.json: no such file`).
 */
export async function readJsonFile(path: string): Promise<unknown> {
  let bytes: Uint8Array;
  try {
    // Non-blocking, so that a FIFO with no writer does not hang the open before the type check.
    const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const stats = await handle.stat();
      if (stats.isDirectory()) throw new CocoFileError(path, READ_PROBLEMS.EISDIR);
      if (!stats.isFile()) throw new CocoFileError(path, 'is not a regular file (a device, pipe or socket)');
      if (stats.size > MAX_JSON_FILE_BYTES) throw new CocoFileError(path, `is ${stats.size} bytes; the largest JSON file read is ${MAX_JSON_FILE_BYTES} bytes`);
      bytes = new Uint8Array(await handle.readFile());
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof CocoFileError) throw error;
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
