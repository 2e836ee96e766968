import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { createCanvas, ImageData } from '@napi-rs/canvas';
import { DataFileError, formatFromExtension, sniffImageFormat } from '@edet/data';
import { decodeImage } from '@edet/data/node';
import { describe, expect, it } from 'vitest';

import { encodeCanvas } from '../src/image/encode.js';
import { SAMPLES_DIRECTORY } from '../src/samples.js';

const sample = (name: string) => new Uint8Array(readFileSync(join(SAMPLES_DIRECTORY, name)));

/** A small opaque RGB pattern with every channel varying, as RGBA. */
function pattern(width: number, height: number): Uint8ClampedArray {
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let pixel = 0; pixel < width * height; pixel++) {
    rgba[pixel * 4] = (pixel * 37) % 256;
    rgba[pixel * 4 + 1] = (pixel * 91 + 13) % 256;
    rgba[pixel * 4 + 2] = 255 - ((pixel * 53) % 256);
    rgba[pixel * 4 + 3] = 255;
  }
  return rgba;
}

describe('decodeImage', () => {
  it('decodes the bundled JPEG samples to RGB at their size', async () => {
    const blood = await decodeImage(sample('BloodImage_00000.jpg'), 'blood.jpg');
    expect(blood.format).toBe('jpeg');
    expect([blood.image.width, blood.image.height, blood.image.channels]).toEqual([640, 480, 3]);
    expect(blood.image.data.length).toBe(640 * 480 * 3);

    const giraffes = await decodeImage(sample('000000000136.jpg'), 'giraffes.jpg');
    expect([giraffes.image.width, giraffes.image.height]).toEqual([500, 374]);
    // JPEG decoders differ by a few grey levels; the top-left corner is a dark, near-black tree.
    const topLeft = Array.from(giraffes.image.data.subarray(0, 3));
    topLeft.forEach((value, channel) => expect(Math.abs(value - [12, 16, 17][channel])).toBeLessThanOrEqual(4));
  });

  it('round-trips a PNG it encodes itself exactly', async () => {
    const [width, height] = [13, 7];
    const rgba = pattern(width, height);
    const canvas = createCanvas(width, height);
    canvas.getContext('2d').putImageData(new ImageData(rgba, width, height), 0, 0);
    const png = await encodeCanvas(canvas, 'png');

    const { image, format } = await decodeImage(png, 'pattern.png');
    expect(format).toBe('png');
    expect([image.width, image.height, image.channels]).toEqual([width, height, 3]);
    for (let pixel = 0; pixel < width * height; pixel++) {
      expect(Array.from(image.data.subarray(pixel * 3, pixel * 3 + 3))).toEqual(Array.from(rgba.subarray(pixel * 4, pixel * 4 + 3)));
    }
  });

  it('rejects a text file with a DataFileError naming the file', async () => {
    const text = new TextEncoder().encode('just some text\n');
    await expect(decodeImage(text, 'notes.jpg')).rejects.toThrow(DataFileError);
    await expect(decodeImage(text, 'notes.jpg')).rejects.toThrow('notes.jpg: not a JPEG or PNG image');
  });

  it('rejects a PNG signature followed by garbage', async () => {
    const broken = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4, 5]);
    await expect(decodeImage(broken, 'broken.png')).rejects.toThrow(/^broken\.png: truncated PNG: /);
  });
});

describe('image format names', () => {
  it('sniffs JPEG and PNG signatures and nothing else', () => {
    expect(sniffImageFormat(sample('BloodImage_00004.jpg'))).toBe('jpeg');
    expect(sniffImageFormat(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe('png');
    expect(sniffImageFormat(new TextEncoder().encode('GIF89a'))).toBeUndefined();
    expect(sniffImageFormat(new Uint8Array())).toBeUndefined();
  });

  it('reads the format from the extension, any case', () => {
    expect(formatFromExtension('a/b.PNG')).toBe('png');
    expect(formatFromExtension('photo.jpeg')).toBe('jpeg');
    expect(formatFromExtension('photo.JPG')).toBe('jpeg');
    expect(formatFromExtension('photo.webp')).toBeUndefined();
    expect(formatFromExtension('jpg')).toBeUndefined();
  });
});
