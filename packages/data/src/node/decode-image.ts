import type { Image } from '@napi-rs/canvas';
import type { RgbImage } from '@edet/model';

import { DataFileError } from '../errors.js';
import { sniffImageFormat, type ImageFormat } from '../image-format.js';
import { rgbaToRgb } from '../pixels.js';

/** A decoded image: RGB pixels for the model and the format it was stored in. */
export interface DecodedImage {
  /** Interleaved RGB (`channels: 3`), `height * width * 3` bytes, row-major from the top-left. */
  image: RgbImage;
  format: ImageFormat;
}

/**
 * Decodes a JPEG or PNG file's bytes into RGB pixels with @napi-rs/canvas (Skia's decoders).
 * Alpha is dropped, not blended, as PIL's `convert('RGB')` does, so transparent PNGs keep their colours.
 * @param source the file name, used in error messages
 * @throws DataFileError if the bytes are not a JPEG or PNG, or do not decode
 */
export async function decodeImage(bytes: Uint8Array, source: string): Promise<DecodedImage> {
  // Loaded on first use: @napi-rs/canvas is an optional peer, needed only by those who decode files.
  const { createCanvas, loadImage } = await import('@napi-rs/canvas');
  const format = sniffImageFormat(bytes);
  if (format === undefined) throw new DataFileError(source, 'not a JPEG or PNG image');
  let decoded: Image;
  try {
    decoded = await loadImage(bytes);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DataFileError(source, `cannot decode ${format.toUpperCase()} image (${reason})`);
  }
  const { width, height } = decoded;
  if (width === 0 || height === 0) throw new DataFileError(source, `cannot decode ${format.toUpperCase()} image`);
  const canvas = createCanvas(width, height);
  const context = canvas.getContext('2d');
  context.drawImage(decoded, 0, 0);
  return { image: rgbaToRgb(context.getImageData(0, 0, width, height).data, width, height), format };
}
