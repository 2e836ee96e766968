import { readFile } from 'node:fs/promises';

import type { RgbImage } from '@edet/model';

import type { Sample } from '../dataset.js';
import { DataFileError } from '../errors.js';
import { decodeImage } from './decode-image.js';
import { displayPath } from './files.js';

/** Why a file could not be read, in words, for the errno codes a user can cause. */
const READ_PROBLEMS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'is a directory, not a file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

/**
 * The Node image reader of the pipeline: reads `sample.file` and decodes it (JPEG or PNG, @napi-rs/canvas).
 * @throws DataFileError naming the file (as the user would write it) when it cannot be read or decoded
 */
export async function readImageFile(sample: Sample): Promise<RgbImage> {
  const name = displayPath(sample.file);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(sample.file));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    throw new DataFileError(sample.file, READ_PROBLEMS[code] ?? `cannot be read (${(error as Error).message.split('\n')[0]})`);
  }
  return (await decodeImage(bytes, name)).image;
}
