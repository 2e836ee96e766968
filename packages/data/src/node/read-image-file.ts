import type { RgbImage } from '@edet/model';

import type { Sample } from '../dataset.js';
import { DataFileError } from '../errors.js';
import { decodeImage, type DecodeOptions } from './decode-image.js';
import { MAX_IMAGE_FILE_BYTES, readBoundedFile } from './read-bounded-file.js';

/**
 * Reads an image file (a regular file of at most `MAX_IMAGE_FILE_BYTES`) and decodes it.
 * @param name the file as the user would write it, for messages (default: `path`)
 * @throws DataFileError naming the file when it cannot be read, is too large, damaged or truncated
 */
export async function readAndDecodeImage(path: string, name = path, options: DecodeOptions = {}) {
  const bytes = await readBoundedFile(path, { maxBytes: MAX_IMAGE_FILE_BYTES, name, what: 'image' });
  return decodeImage(bytes, name, options);
}

/**
 * The Node image reader of the pipeline: reads `sample.file` and decodes it (JPEG or PNG, @napi-rs/canvas).
 * The size the annotations declare must be the file's: boxes were clipped to it, so another size would
 * misplace them.
 * @throws DataFileError naming the file when it cannot be read or decoded, or its size is not the declared one
 */
export async function readImageFile(sample: Sample): Promise<RgbImage> {
  const { image } = await readAndDecodeImage(sample.file);
  const mismatch = declaredSizeMismatch(sample, image.width, image.height);
  if (mismatch !== undefined) throw new DataFileError(sample.file, mismatch);
  return image;
}

/** Why a sample's declared size does not fit the image's, or `undefined` when it does (or none is declared). */
export function declaredSizeMismatch(sample: Pick<Sample, 'name' | 'imageId' | 'width' | 'height'>, width: number, height: number): string | undefined {
  // 0 means the annotations do not say (COCO without width/height, VOC without <size>).
  if ((sample.width === 0 || sample.width === width) && (sample.height === 0 || sample.height === height)) return undefined;
  return `is ${width}x${height} pixels, but the annotations of image ${sample.imageId} (${sample.name}) say ${sample.width}x${sample.height}`;
}
