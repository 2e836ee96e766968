import { open } from 'node:fs/promises';

import { type ImageFormat, sniffImageFormat } from '../image-format.js';

/** What an image file's header says, read without decoding the pixels. */
export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
}

/** Bytes read first: enough for a PNG's IHDR and a JPEG's frame header behind the usual EXIF segment. */
const HEAD_BYTES = 64 * 1024;

/** A PNG's size from its IHDR chunk (right after the signature), or a problem. */
function pngSize(bytes: Uint8Array): { width: number; height: number } | string {
  if (bytes.length < 24) return 'PNG header cut short';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') return 'PNG without an IHDR header';
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** JPEG start-of-frame markers (baseline, progressive, lossless...): C0-CF except DHT (C4), JPG (C8) and DAC (CC). */
const isStartOfFrame = (marker: number) => marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;

/** A JPEG's size from its frame header, walking the segments; `undefined` when the bytes end before it. */
function jpegSize(bytes: Uint8Array): { width: number; height: number } | string | undefined {
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) return `JPEG segment without a marker at byte ${offset}`;
    const marker = bytes[offset + 1];
    // Fill bytes and markers without a length.
    if (marker === 0xff) {
      offset += 1;
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      offset += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return 'JPEG without a frame header before its image data';
    const length = (bytes[offset + 2] << 8) | bytes[offset + 3];
    if (length < 2) return `JPEG segment of length ${length} at byte ${offset}`;
    if (isStartOfFrame(marker)) {
      if (offset + 9 > bytes.length) return undefined;
      return { height: (bytes[offset + 5] << 8) | bytes[offset + 6], width: (bytes[offset + 7] << 8) | bytes[offset + 8] };
    }
    offset += 2 + length;
  }
  return undefined;
}

/** The header of encoded image bytes, or the problem with them (one phrase). `complete`: `bytes` is the whole file. */
export function parseImageHeader(bytes: Uint8Array, complete = true): ImageHeader | string {
  const format = sniffImageFormat(bytes);
  if (format === undefined) return bytes.length === 0 ? 'empty file, not a JPEG or PNG image' : 'not a JPEG or PNG image';
  const size = format === 'png' ? pngSize(bytes) : jpegSize(bytes);
  if (size === undefined) return complete ? 'JPEG cut short before its frame header' : 'incomplete';
  if (typeof size === 'string') return size;
  if (size.width === 0 || size.height === 0) return `${format.toUpperCase()} of ${size.width}x${size.height} pixels`;
  return { format, ...size };
}

/**
 * Reads an image file's header (format and pixel size) without decoding it: the first 64 KiB, or the whole
 * file when a JPEG's frame header lies further in. Returns the problem as a phrase for a file that is not a
 * readable JPEG or PNG (no such file, another format, a header cut short, zero pixels).
 */
export async function readImageHeader(file: string): Promise<ImageHeader | string> {
  let handle;
  try {
    handle = await open(file, 'r');
    const stats = await handle.stat();
    if (!stats.isFile()) return 'not a file';
    const { size } = stats;
    const head = new Uint8Array(Math.min(size, HEAD_BYTES));
    await handle.read(head, 0, head.length, 0);
    const header = parseImageHeader(head, head.length === size);
    if (header !== 'incomplete') return header;
    const whole = new Uint8Array(size);
    await handle.read(whole, 0, size, 0);
    return parseImageHeader(whole, true);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a file' : `cannot be read (${(error as Error).message.split('\n')[0]})`;
  } finally {
    await handle?.close();
  }
}
