import { DataFileError } from '@edet/data';
import { readAndDecodeImage, readBoundedFile, type DecodedImage } from '@edet/data/node';
import { FileFormatError } from '@edet/tensor';

/**
 * The largest input file other than an image read whole (weights, class lists): 2 GiB, over 8 times the
 * largest official checkpoint (D7, ~210 MB).
 */
export const MAX_INPUT_FILE_BYTES = 2 * 1024 * 1024 * 1024;

/**
 * Reads a whole file, which must be a regular file of at most `maxBytes` (a device such as `/dev/zero`, a pipe
 * or a folder is refused before reading); a missing, unreadable, oversized or non-regular path becomes a
 * `FileFormatError` that names the file and says what is wrong (`photo.jpg: no such file`).
 */
export async function readInputFile(path: string, maxBytes = MAX_INPUT_FILE_BYTES): Promise<Uint8Array> {
  try {
    return await readBoundedFile(path, { maxBytes });
  } catch (error) {
    if (error instanceof DataFileError) throw new FileFormatError(path, error.problem);
    throw error;
  }
}

/**
 * Reads and decodes an image file: a regular file of at most `MAX_IMAGE_FILE_BYTES`, a whole JPEG or PNG
 * (not truncated) of at most `maxPixels` pixels (default `MAX_IMAGE_PIXELS`), checked before decoding.
 * @throws DataFileError naming the file
 */
export function readImageInput(path: string, maxPixels?: number): Promise<DecodedImage> {
  return readAndDecodeImage(path, path, { maxPixels });
}
