import type { Image } from '@napi-rs/canvas';
import type { RgbImage } from '@edet/model';

import { DataFileError } from '../errors.js';
import { inspectImage, MAX_IMAGE_PIXELS } from '../image-header.js';
import type { ImageFormat } from '../image-format.js';
import { rgbaToRgb } from '../pixels.js';

/** A decoded image: RGB pixels for the model and the format it was stored in. */
export interface DecodedImage {
  /** Interleaved RGB (`channels: 3`), `height * width * 3` bytes, row-major from the top-left. */
  image: RgbImage;
  format: ImageFormat;
}

/** Options of `decodeImage`. */
export interface DecodeOptions {
  /** The most pixels (width x height) accepted, checked from the header before decoding (default `MAX_IMAGE_PIXELS`). */
  maxPixels?: number;
}

/**
 * Decodes a JPEG or PNG file's bytes into RGB pixels with @napi-rs/canvas (Skia's decoders).
 * Alpha is dropped, not blended, as PIL's `convert('RGB')` does, so transparent PNGs keep their colours.
 * The file is checked first (`inspectImage`): a truncated or damaged file, or one with more than
 * `maxPixels` pixels, is refused before anything is decoded or allocated.
 * @param source the file name, used in error messages
 * @throws DataFileError if the bytes are not a whole JPEG or PNG, are too large, or do not decode
 */
export async function decodeImage(bytes: Uint8Array, source: string, options: DecodeOptions = {}): Promise<DecodedImage> {
  const maxPixels = options.maxPixels ?? MAX_IMAGE_PIXELS;
  const header = inspectImage(bytes);
  if ('problem' in header) throw new DataFileError(source, header.problem);
  const { format } = header;
  if (header.width * header.height > maxPixels) {
    throw new DataFileError(source, `is ${header.width}x${header.height} pixels; the most decoded is ${maxPixels} pixels`);
  }
  // Loaded on first use: @napi-rs/canvas is an optional peer, needed only by those who decode files.
  const { createCanvas, loadImage } = await import('@napi-rs/canvas');
  let decoded: Image;
  try {
    decoded = await loadImage(bytes);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DataFileError(source, `cannot decode ${format.toUpperCase()} image (${reason})`);
  }
  const { width, height } = decoded;
  // Skia may turn a JPEG by its EXIF orientation, which swaps the sides.
  const asHeader = width === header.width && height === header.height;
  const turned = width === header.height && height === header.width;
  if (!asHeader && !turned) {
    throw new DataFileError(source, `cannot decode ${format.toUpperCase()} image (decoded ${width}x${height}, header says ${header.width}x${header.height})`);
  }
  const canvas = createCanvas(width, height);
  const context = canvas.getContext('2d');
  context.drawImage(decoded, 0, 0);
  return { image: rgbaToRgb(context.getImageData(0, 0, width, height).data, width, height), format };
}
