import { sniffImageFormat, type ImageFormat } from './image-format.js';

/** What an image file's header says, read without decoding a pixel. */
export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
}

/**
 * The most pixels (width x height) an image may have to be decoded: 64 megapixels, e.g. 8192 x 8192. Decoding
 * takes ~7 bytes per pixel (RGBA from the decoder, RGB for the model), so this bounds one image to ~470 MB.
 */
export const MAX_IMAGE_PIXELS = 64 * 1024 * 1024;

/**
 * Reads a PNG's or JPEG's format and size from its header and checks that the file is whole: a PNG's chunks
 * must all be present with good CRCs up to `IEND`; a JPEG's segments must be intact and its scans must end in
 * the EOI marker. Decoders fill a truncated image with grey and report nothing, so this is the check.
 * Bytes after the end (`IEND`, EOI) are allowed, as cameras append data there.
 * @returns the header, or a problem in words (`truncated: no EOI marker`, `not a JPEG or PNG image`)
 */
export function inspectImage(bytes: Uint8Array): ImageHeader | { problem: string } {
  const format = sniffImageFormat(bytes);
  if (format === undefined) return { problem: 'not a JPEG or PNG image' };
  return format === 'png' ? inspectPng(bytes) : inspectJpeg(bytes);
}

const PNG_SIGNATURE_LENGTH = 8;

function inspectPng(bytes: Uint8Array): ImageHeader | { problem: string } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let width = 0;
  let height = 0;
  let offset = PNG_SIGNATURE_LENGTH;
  for (let index = 0; ; index++) {
    if (offset + 12 > bytes.length) return { problem: `truncated PNG: ends at byte ${bytes.length} before the IEND chunk` };
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    const end = offset + 12 + length;
    if (end > bytes.length) return { problem: `truncated PNG: the ${type} chunk at byte ${offset} runs past the end of the file` };
    if (index === 0) {
      if (type !== 'IHDR' || length !== 13) return { problem: 'damaged PNG: the first chunk is not IHDR' };
      width = view.getUint32(offset + 8);
      height = view.getUint32(offset + 12);
    }
    if (crc32(bytes, offset + 4, end - 4) !== view.getUint32(end - 4)) {
      return { problem: `damaged PNG: bad CRC in the ${type} chunk at byte ${offset}` };
    }
    if (type === 'IEND') break;
    offset = end;
  }
  if (width === 0 || height === 0) return { problem: `damaged PNG: its header says ${width}x${height} pixels` };
  return { format: 'png', width, height };
}

/** JPEG markers without a length field: SOI, EOI, RST0-7, TEM. */
function isStandaloneMarker(marker: number): boolean {
  return marker === 0xd8 || marker === 0xd9 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01;
}

/** Start-of-frame markers (SOF0-SOF15 less DHT, JPG and DAC), whose segment holds the size. */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function inspectJpeg(bytes: Uint8Array): ImageHeader | { problem: string } {
  let width = 0;
  let height = 0;
  let scans = 0;
  let offset = 2; // after SOI
  while (true) {
    // Between segments: fill bytes (0xFF) may precede a marker.
    if (offset >= bytes.length) return { problem: `truncated JPEG: ends at byte ${bytes.length} with no EOI marker` };
    if (bytes[offset] !== 0xff) return { problem: `damaged JPEG: expected a marker at byte ${offset}` };
    while (offset < bytes.length && bytes[offset] === 0xff) offset++;
    if (offset >= bytes.length) return { problem: `truncated JPEG: ends at byte ${bytes.length} with no EOI marker` };
    const marker = bytes[offset++];
    if (marker === 0xd9) break;
    if (isStandaloneMarker(marker)) continue;
    if (offset + 2 > bytes.length) return { problem: `truncated JPEG: ends at byte ${bytes.length} inside a segment` };
    const length = (bytes[offset] << 8) | bytes[offset + 1];
    if (length < 2 || offset + length > bytes.length) return { problem: `truncated JPEG: a segment at byte ${offset - 2} runs past the end of the file` };
    if (isStartOfFrame(marker) && width === 0) {
      if (length < 7) return { problem: 'damaged JPEG: short frame header' };
      height = (bytes[offset + 3] << 8) | bytes[offset + 4];
      width = (bytes[offset + 5] << 8) | bytes[offset + 6];
    }
    offset += length;
    if (marker === 0xda) {
      scans++;
      offset = skipEntropyCodedData(bytes, offset);
    }
  }
  if (scans === 0) return { problem: 'damaged JPEG: no image data (no SOS segment before EOI)' };
  if (width === 0 || height === 0) return { problem: `damaged JPEG: its header says ${width}x${height} pixels` };
  return { format: 'jpeg', width, height };
}

/** The offset of the first marker after a scan's entropy-coded data (0xFF00 is a stuffed byte, RSTn is inside the scan). */
function skipEntropyCodedData(bytes: Uint8Array, start: number): number {
  let offset = start;
  while (offset + 1 < bytes.length) {
    if (bytes[offset] === 0xff) {
      const next = bytes[offset + 1];
      if (next !== 0x00 && next !== 0xff && !(next >= 0xd0 && next <= 0xd7)) return offset;
    }
    offset++;
  }
  return bytes.length;
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (ISO-HDLC, as PNG uses) of `bytes[start, end)`. */
function crc32(bytes: Uint8Array, start: number, end: number): number {
  if (crcTable === undefined) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let index = start; index < end; index++) crc = crcTable[(crc ^ bytes[index]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
