import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

import { DataFileError } from '../errors.js';

/** The largest COCO annotation file read: 512 MiB (COCO's train2017 instances file is about 450 MiB). */
export const MAX_ANNOTATION_FILE_BYTES = 512 * 1024 * 1024;

/**
 * Reads a whole text file synchronously (the dataset loaders are synchronous), but only a regular file no
 * larger than `maxBytes`: a device such as `/dev/zero`, a FIFO or a folder is refused before a byte is read,
 * as `readBoundedFile` does for images and weights.
 * @param what what the file is, for the size message (`COCO annotation file`)
 * @throws DataFileError naming the file and what is wrong with it
 */
export function readBoundedTextSync(path: string, maxBytes: number, what: string): string {
  let descriptor: number;
  try {
    // Non-blocking, so that opening a FIFO with no writer does not hang before the type check.
    descriptor = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new DataFileError(path, problemOf(error));
  }
  try {
    const stats = fstatSync(descriptor);
    if (stats.isDirectory()) throw new DataFileError(path, 'is a directory, not a file');
    if (!stats.isFile()) throw new DataFileError(path, 'is not a regular file (a device, pipe or socket)');
    if (stats.size > maxBytes) throw new DataFileError(path, `is ${stats.size} bytes; the largest ${what} read is ${maxBytes} bytes`);
    // One byte past the size seen, so a file that grows while read is still bounded.
    const bytes = new Uint8Array(stats.size + 1);
    let filled = 0;
    for (let read = -1; read !== 0 && filled < bytes.length; filled += read) {
      read = readSync(descriptor, bytes, filled, bytes.length - filled, filled);
    }
    if (filled > stats.size) throw new DataFileError(path, 'changed size while it was read');
    return new TextDecoder().decode(bytes.subarray(0, filled));
  } catch (error) {
    if (error instanceof DataFileError) throw error;
    throw new DataFileError(path, problemOf(error));
  } finally {
    closeSync(descriptor);
  }
}

function problemOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const known: Record<string, string> = { ENOENT: 'no such file', EACCES: 'permission denied', EPERM: 'permission denied', EISDIR: 'is a directory, not a file' };
  return known[code] ?? `cannot be read (${(error instanceof Error ? error.message : String(error)).split('\n')[0]})`;
}
