/** The encoded image formats edet reads (and the command line writes). */
export type ImageFormat = 'png' | 'jpeg';

/**
 * Tells the format of an encoded image from its first bytes (its signature), not from the file name, so a
 * mislabelled or non-image file is caught before decoding. Returns `undefined` for anything else.
 */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length >= png.length && png.every((byte, index) => bytes[index] === byte)) return 'png';
  return undefined;
}

/** The format a file name asks for by its extension (`.png`, `.jpg`, `.jpeg`, any case), if any. */
export function formatFromExtension(path: string): ImageFormat | undefined {
  const match = /\.(png|jpe?g)$/i.exec(path);
  if (match === null) return undefined;
  return match[1].toLowerCase() === 'png' ? 'png' : 'jpeg';
}
