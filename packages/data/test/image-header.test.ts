// Image headers read without decoding: what a training run checks of every dataset image before its first step.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { parseImageHeader, readImageHeader } from '@edet/data/node';
import { describe, expect, it } from 'vitest';

import { BUNDLED_DATASET, temporaryFolder } from './support/datasets.js';

const jpegName = readdirSync(join(BUNDLED_DATASET, 'images')).find((name) => name.endsWith('.jpg'))!;
const jpeg = new Uint8Array(readFileSync(join(BUNDLED_DATASET, 'images', jpegName)));

/** A PNG signature and IHDR chunk of `width` x `height` (no pixel data: headers are all that is read). */
function pngHeader(width: number, height: number): Uint8Array {
  const bytes = new Uint8Array(33);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  new DataView(bytes.buffer).setUint32(16, width);
  new DataView(bytes.buffer).setUint32(20, height);
  return bytes;
}

describe('image headers', () => {
  it('reads the format and size of a JPEG and a PNG', async () => {
    expect(parseImageHeader(jpeg)).toEqual({ format: 'jpeg', width: 640, height: 480 });
    expect(parseImageHeader(pngHeader(20000, 30))).toEqual({ format: 'png', width: 20000, height: 30 });
    expect(await readImageHeader(join(BUNDLED_DATASET, 'images', jpegName))).toEqual({ format: 'jpeg', width: 640, height: 480 });
  });

  const BAD: [string, Uint8Array, RegExp][] = [
    ['an empty file', new Uint8Array(0), /^empty file, not a JPEG or PNG image$/],
    ['text', new TextEncoder().encode('hello, not an image'), /^not a JPEG or PNG image$/],
    ['a JPEG cut before its frame header', jpeg.subarray(0, 20), /^JPEG cut short before its frame header$/],
    ['a JPEG with a broken segment', Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, ...new Array(12).fill(0), 0x12, 0x34, 0x56, 0x78]), /^JPEG segment without a marker/],
    ['a JPEG with image data before any frame header', Uint8Array.from([0xff, 0xd8, 0xff, 0xda, 0x00, 0x08]), /^JPEG without a frame header/],
    ['a PNG cut inside its header', pngHeader(10, 10).subarray(0, 20), /^PNG header cut short$/],
    ['a PNG of zero pixels', pngHeader(0, 10), /^PNG of 0x10 pixels$/],
    ['a PNG without IHDR', Uint8Array.from([...pngHeader(10, 10).subarray(0, 12), 0x49, 0x44, 0x41, 0x54, ...new Array(17).fill(0)]), /^PNG without an IHDR header$/],
  ];
  for (const [kind, bytes, problem] of BAD) {
    it(`names the problem of ${kind}`, async () => {
      expect(parseImageHeader(bytes)).toMatch(problem);
      const file = join(temporaryFolder(), 'image.jpg');
      writeFileSync(file, bytes);
      expect(await readImageHeader(file)).toMatch(problem);
    });
  }

  it('names a missing file and a folder', async () => {
    const folder = temporaryFolder();
    expect(await readImageHeader(join(folder, 'none.jpg'))).toBe('no such file');
    expect(await readImageHeader(folder)).toMatch(/^(not a file|is a directory, not a file)$/);
  });
});
