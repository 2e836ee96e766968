import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

import { DataFileError } from '../errors.js';

/**
 * The largest image file read: 256 MiB. An image's pixels are limited separately (`MAX_IMAGE_PIXELS`), as a
 * small PNG can hold a huge image.
 */
export const MAX_IMAGE_FILE_BYTES = 256 * 1024 * 1024;

/** Why a file could not be read, in words, for the errno codes a user can cause. */
const READ_PROBLEMS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'no such file (a folder in its path is a file)',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ELOOP: 'too many levels of symbolic links',
};

/** Options of `readBoundedFile`. */
export interface BoundedReadOptions {
  /** The largest size accepted, in bytes. */
  maxBytes: number;
  /** The name in error messages (default: `path`). */
  name?: string;
  /** What the file is, for the size message (`image`, `weights file`). */
  what?: string;
}

/**
 * Reads a whole file, but only a regular file no larger than `maxBytes`: a device (`/dev/zero`), a FIFO or a
 * folder is refused before a byte is read, and so is a file too large to be what it claims. The size is
 * taken from the open file, so the file read is the file checked.
 * @throws DataFileError naming the file and what is wrong with it
 */
export async function readBoundedFile(path: string, options: BoundedReadOptions): Promise<Uint8Array> {
  const name = options.name ?? path;
  let handle;
  try {
    // Non-blocking, so that opening a FIFO with no writer does not hang before the type check.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new DataFileError(name, problemOf(error));
  }
  try {
    const stats = await handle.stat();
    if (stats.isDirectory()) throw new DataFileError(name, READ_PROBLEMS.EISDIR);
    if (!stats.isFile()) throw new DataFileError(name, 'is not a regular file (a device, pipe or socket)');
    if (stats.size > options.maxBytes) {
      throw new DataFileError(name, `is ${stats.size} bytes; the largest ${options.what ?? 'file'} read is ${options.maxBytes} bytes`);
    }
    // Read at most one byte past the size seen, so a file that grows while read is still bounded.
    const bytes = new Uint8Array(stats.size + 1);
    let filled = 0;
    while (filled < bytes.length) {
      const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    if (filled > stats.size) throw new DataFileError(name, 'changed size while it was read');
    return bytes.subarray(0, filled);
  } catch (error) {
    if (error instanceof DataFileError) throw error;
    throw new DataFileError(name, problemOf(error));
  } finally {
    await handle.close();
  }
}

function problemOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  return READ_PROBLEMS[code] ?? `cannot be read (${(error instanceof Error ? error.message : String(error)).split('\n')[0]})`;
}
