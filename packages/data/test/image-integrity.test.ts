import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createCanvas } from '@napi-rs/canvas';
import { describe, expect, it } from 'vitest';

import type { DetectionDataset, Sample } from '../src/dataset.js';
import { DataError, DataFileError } from '../src/errors.js';
import { inspectImage } from '../src/image-header.js';
import { checkDatasetImages, findImageProblems } from '../src/node/check-dataset-images.js';
import { decodeImage } from '../src/node/decode-image.js';
import { readBoundedFile } from '../src/node/read-bounded-file.js';
import { readImageFile } from '../src/node/read-image-file.js';
import { createRandom, randomInt } from '../src/random.js';

// Image files that are truncated, damaged, huge or not files at all are refused with a DataFileError naming
// the file, before any pixel is decoded: decoders fill a truncated image with grey and report nothing.

/** A small image with content, encoded as PNG or JPEG by the same decoder library the package uses. */
async function encodedImage(format: 'png' | 'jpeg', width = 48, height = 32): Promise<Uint8Array> {
  const canvas = createCanvas(width, height);
  const context = canvas.getContext('2d');
  for (let y = 0; y < height; y += 4) {
    for (let x = 0; x < width; x += 4) {
      context.fillStyle = `rgb(${(x * 5) % 256}, ${(y * 7) % 256}, ${(x * y) % 256})`;
      context.fillRect(x, y, 4, 4);
    }
  }
  return new Uint8Array(format === 'png' ? await canvas.encode('png') : await canvas.encode('jpeg'));
}

/** CRC-32 as PNG uses it, for building test files. */
function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** A PNG of just IHDR + IEND claiming `width` x `height` (a few dozen bytes standing for a huge image). */
function pngHeaderOnly(width: number, height: number): Uint8Array {
  const chunk = (type: string, data: number[]) => {
    const body = new Uint8Array([...type].map((c) => c.charCodeAt(0)).concat(data));
    const out = new Uint8Array(12 + data.length);
    const view = new DataView(out.buffer);
    view.setUint32(0, data.length);
    out.set(body, 4);
    view.setUint32(8 + data.length, crc32(body));
    return [...out];
  };
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, width);
  new DataView(ihdr.buffer).setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...chunk('IHDR', [...ihdr]), ...chunk('IEND', [])]);
}

function expectProblem(bytes: Uint8Array, pattern: RegExp): void {
  const result = inspectImage(bytes);
  expect('problem' in result ? result.problem : `accepted ${JSON.stringify(result)}`).toMatch(pattern);
}

describe('inspectImage', () => {
  it('reads the size of whole PNG and JPEG files, with bytes after the end allowed', async () => {
    for (const format of ['png', 'jpeg'] as const) {
      const bytes = await encodedImage(format, 48, 32);
      expect(inspectImage(bytes)).toEqual({ format, width: 48, height: 32 });
      const trailed = new Uint8Array([...bytes, 1, 2, 3, 0xff]);
      expect(inspectImage(trailed)).toEqual({ format, width: 48, height: 32 });
    }
  });

  it('refuses every truncation of a JPEG and a PNG (seeded, 120 cut points)', async () => {
    const random = createRandom(13);
    for (const format of ['png', 'jpeg'] as const) {
      const bytes = await encodedImage(format);
      const cuts = [9, 20, bytes.length - 1, bytes.length - 2, bytes.length - 12];
      while (cuts.length < 60) cuts.push(9 + randomInt(random, bytes.length - 10));
      for (const cut of cuts) expectProblem(bytes.subarray(0, cut), /^(truncated|damaged) (PNG|JPEG)/);
    }
  });

  it('refuses damaged files: a flipped PNG byte (CRC), a missing IEND, a JPEG with no scan, not an image', async () => {
    const png = await encodedImage('png');
    const flipped = png.slice();
    flipped[40] ^= 0x10;
    expectProblem(flipped, /bad CRC/);
    expectProblem(png.subarray(0, png.length - 12), /truncated PNG.*IEND/);
    expectProblem(new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), /no image data/);
    expectProblem(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), /not a JPEG or PNG/);
    expectProblem(new Uint8Array(0), /not a JPEG or PNG/);
    expectProblem(pngHeaderOnly(0, 10), /0x10 pixels/);
  });
});

describe('decodeImage limits and integrity', () => {
  it('refuses a truncated JPEG and PNG naming the file, where the decoder would return grey pixels', async () => {
    for (const format of ['png', 'jpeg'] as const) {
      const bytes = await encodedImage(format);
      const cut = bytes.subarray(0, Math.floor(bytes.length * 0.7));
      await expect(decodeImage(cut, `photo.${format}`)).rejects.toThrow(new DataFileError(`photo.${format}`, inspectProblem(cut)));
    }
  });

  it('refuses an image over the pixel limit from its header, before decoding (a 20000x20000 PNG of 57 bytes)', async () => {
    const huge = pngHeaderOnly(20000, 20000);
    const started = performance.now();
    await expect(decodeImage(huge, 'huge.png')).rejects.toThrow(/^huge\.png: is 20000x20000 pixels; the most decoded is 67108864 pixels$/);
    expect(performance.now() - started).toBeLessThan(500);
    await expect(decodeImage(await encodedImage('jpeg', 48, 32), 'small.jpg', { maxPixels: 1000 })).rejects.toThrow(/small\.jpg: is 48x32 pixels; the most decoded is 1000/);
    const { image } = await decodeImage(await encodedImage('jpeg', 48, 32), 'small.jpg', { maxPixels: 48 * 32 });
    expect([image.width, image.height]).toEqual([48, 32]);
  });
});

function inspectProblem(bytes: Uint8Array): string {
  const result = inspectImage(bytes);
  if (!('problem' in result)) throw new Error('expected a problem');
  return result.problem;
}

describe('readBoundedFile', () => {
  it('refuses devices, folders, missing and oversized files before reading them, naming the file', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'edet-bounded-'));
    const file = join(folder, 'a.bin');
    writeFileSync(file, new Uint8Array(100));
    await expect(readBoundedFile('/dev/zero', { maxBytes: 1000 })).rejects.toThrow(/^\/dev\/zero: is not a regular file/);
    await expect(readBoundedFile(folder, { maxBytes: 1000 })).rejects.toThrow(`${folder}: is a directory, not a file`);
    await expect(readBoundedFile(join(folder, 'none.jpg'), { maxBytes: 1000, name: 'none.jpg' })).rejects.toThrow(/^none\.jpg: no such file$/);
    await expect(readBoundedFile(file, { maxBytes: 99, what: 'image' })).rejects.toThrow(`${file}: is 100 bytes; the largest image read is 99 bytes`);
    await expect(readBoundedFile(file, { maxBytes: 100 })).resolves.toHaveLength(100);
    await expect(readBoundedFile('/dev/zero', { maxBytes: 1 })).rejects.toBeInstanceOf(DataFileError);
  });
});

describe('dataset images', () => {
  /** A split of three images in a scratch folder: good, truncated, and declared at the wrong size. */
  async function scratchDataset(): Promise<DetectionDataset> {
    const folder = mkdtempSync(join(tmpdir(), 'edet-images-'));
    const good = await encodedImage('jpeg', 48, 32);
    writeFileSync(join(folder, 'good.jpg'), good);
    writeFileSync(join(folder, 'cut.jpg'), good.subarray(0, good.length - 40));
    writeFileSync(join(folder, 'size.png'), await encodedImage('png', 40, 30));
    const sample = (name: string, imageId: number, width: number, height: number): Sample => ({ file: join(folder, name), name, width, height, boxes: [], imageId });
    return {
      format: 'coco',
      root: folder,
      split: 'train',
      classNames: ['a'],
      categoryIds: [1],
      samples: [sample('good.jpg', 1, 48, 32), sample('cut.jpg', 2, 48, 32), sample('size.png', 3, 80, 60), sample('gone.jpg', 4, 0, 0)],
      issues: [],
      notes: [],
      groundTruth: { images: [], annotations: [], categories: [] },
      annotationSource: join(folder, 'instances_train.json'),
    };
  }

  it('findImageProblems reports each bad image (truncated, wrong declared size, missing) without decoding', async () => {
    const dataset = await scratchDataset();
    const problems = await findImageProblems(dataset);
    expect(problems.map(({ imageId }) => imageId)).toEqual([2, 3, 4]);
    expect(problems[0].problem).toMatch(/^truncated JPEG/);
    expect(problems[1].problem).toBe('is 40x30 pixels, but the annotations of image 3 (size.png) say 80x60');
    expect(problems[2].problem).toBe('no such file');
    expect(await findImageProblems(dataset, { limit: 1 })).toHaveLength(1);
    await expect(checkDatasetImages(dataset)).rejects.toThrow(/^3 of 4 images of the "train" split cannot be used \(.*cut\.jpg: truncated JPEG/);
    await expect(checkDatasetImages(dataset)).rejects.toBeInstanceOf(DataError);
    await expect(checkDatasetImages({ ...dataset, samples: dataset.samples.slice(0, 1) })).resolves.toBeUndefined();
  });

  it('readImageFile (the pipeline reader) refuses an image whose size differs from the annotations', async () => {
    const dataset = await scratchDataset();
    await expect(readImageFile(dataset.samples[2])).rejects.toThrow(/size\.png: is 40x30 pixels, but the annotations of image 3 \(size\.png\) say 80x60$/);
    await expect(readImageFile(dataset.samples[1])).rejects.toThrow(/cut\.jpg: truncated JPEG/);
    expect((await readImageFile(dataset.samples[0])).width).toBe(48);
  });
});
