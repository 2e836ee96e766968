import type { ImageFormat } from '@edet/data';
import type { Canvas } from '@napi-rs/canvas';

/** JPEG quality of written images: high enough that thin box lines and small text stay crisp. */
const JPEG_QUALITY = 92;

/** Encodes a canvas as PNG or JPEG bytes. */
export async function encodeCanvas(canvas: Canvas, format: ImageFormat): Promise<Uint8Array> {
  const bytes = format === 'png' ? await canvas.encode('png') : await canvas.encode('jpeg', JPEG_QUALITY);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
