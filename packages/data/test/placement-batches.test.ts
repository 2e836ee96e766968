import { letterboxScale, mapToOriginal, type RgbImage } from '@edet/model';
import { describe, expect, it } from 'vitest';

import { DEFAULT_AUGMENT, drawAugmentation } from '../src/augment.js';
import type { Box, Sample } from '../src/dataset.js';
import { DataError } from '../src/errors.js';
import { epochBatches, loadBatch, streamEpoch } from '../src/pipeline.js';
import { augmentedPlacement, letterboxPlacement, placeBoxes } from '../src/placement.js';
import { prefetch } from '../src/prefetch.js';
import { streamOf } from '../src/random.js';
import { renderImage } from '../src/render.js';

// Placement, augmentation, seeded batching and prefetching: no files, so these run in browser mode too.

/** A black image with a white rectangle `[x1, y1, x2, y2)`. */
function rectangleImage(width: number, height: number, [x1, y1, x2, y2]: number[]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = y1; y < y2; y++) for (let x = x1; x < x2; x++) data.fill(255, (y * width + x) * 3, (y * width + x) * 3 + 3);
  return { data, width, height, channels: 3 };
}

/** The bounding box of input pixels brighter than mid-grey (red channel, normalised) in a `size` x `width` input, or undefined. */
function brightBox(pixels: Float32Array, size: number, width = size): number[] | undefined {
  let box: number[] | undefined;
  const threshold = (128 / 255 - 0.485) / 0.229;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < width; x++) {
      if (pixels[(y * width + x) * 3] <= threshold) continue;
      box = box ? [Math.min(box[0], x), Math.min(box[1], y), Math.max(box[2], x + 1), Math.max(box[3], y + 1)] : [x, y, x + 1, y + 1];
    }
  }
  return box;
}

describe('letterbox', () => {
  it("scales boxes by the inverse of the model's mapping back to the original", () => {
    const placement = letterboxPlacement(640, 480, 512);
    expect([placement.resizedWidth, placement.resizedHeight]).toEqual([512, 384]);
    const [placed] = placeBoxes([[260, 177, 491, 376, 1]], placement);
    expect(placed[4]).toBe(1);
    const scale = letterboxScale({ width: 640, height: 480, resizedWidth: 512, resizedHeight: 384 });
    const [{ box: back }] = mapToOriginal([{ box: placed.slice(0, 4) as [number, number, number, number], score: 1, classId: 0 }], scale);
    back.forEach((value, i) => expect(value).toBeCloseTo([260, 177, 491, 376][i], 9));
    // Truncated short side: 333x500 -> 340x512 (512/500*333 = 340.99); each axis has its own ratio.
    const tall = letterboxPlacement(333, 500, 512);
    expect([tall.resizedWidth, tall.resizedHeight]).toEqual([340, 512]);
    expect(placeBoxes([[0, 0, 333, 500, 0]], tall)).toEqual([[0, 0, 340, 512, 0]]);
  });
});

describe('augmentation', () => {
  it('flips boxes with the image (hand-checked)', () => {
    // 4x2 image into 8: resized 8x4; a flip maps x to 4 - x before scaling by 2.
    const flipped = augmentedPlacement(4, 2, 8, { flip: true, scale: 1, u: 0, v: 0 });
    expect(placeBoxes([[0, 0, 1, 1, 3]], flipped)).toEqual([[6, 0, 8, 2, 3]]);
    expect(placeBoxes([[0, 0, 1, 1, 3]], letterboxPlacement(4, 2, 8))).toEqual([[0, 0, 2, 2, 3]]);
  });

  it('scales up and crops: boxes shift, clip, and are dropped when mostly cut (hand-checked)', () => {
    // 100x100 into 100 at scale 1.2: resized 120x120, offsets from -20 to 0; u = v = 0 puts it at -20.
    const crop = augmentedPlacement(100, 100, 100, { flip: false, scale: 1.2, u: 0, v: 0 });
    expect(crop).toMatchObject({ resizedWidth: 120, resizedHeight: 120, offsetX: -20, offsetY: -20 });
    const placed = placeBoxes(
      [
        [50, 50, 60, 60, 0], // inside: [40, 40, 52, 52]
        [10, 40, 30, 60, 1], // [-8, 28, 16, 52] -> clipped to [0, 28, 16, 52], 2/3 visible: kept
        [0, 0, 20, 20, 2], // [-20, -20, 4, 4]: 16/576 visible: dropped
      ],
      crop,
    );
    const expected = [
      [40, 40, 52, 52, 0],
      [0, 28, 16, 52, 1],
    ];
    placed.forEach((box, b) => box.forEach((value, i) => expect(value).toBeCloseTo(expected[b][i], 9)));
    expect(placed).toHaveLength(2);
    // Scale down: 100x50 at 0.8 into 100 -> 80x40, placed anywhere in [0, 20] x [0, 60]; u = v = 1 puts it at the far end.
    const pad = augmentedPlacement(100, 50, 100, { flip: false, scale: 0.8, u: 0.999, v: 0.999 });
    expect(pad).toMatchObject({ resizedWidth: 80, resizedHeight: 40, offsetX: 20, offsetY: 60 });
    expect(placeBoxes([[0, 0, 100, 50, 0]], pad)).toEqual([[20, 60, 100, 100, 0]]);
  });

  it('keeps pixels and boxes together under random flips, scales, crops and colour jitter', () => {
    const rectangle = [30, 12, 52, 30];
    const image = rectangleImage(64, 48, rectangle);
    const size = 64;
    for (let trial = 0; trial < 40; trial++) {
      const augmentation = drawAugmentation(streamOf(3, 'trial', trial), { ...DEFAULT_AUGMENT, scaleRange: [0.6, 1.6], brightness: 0.1 });
      const placement = augmentedPlacement(64, 48, size, augmentation.placement);
      const pixels = new Float32Array(size * size * 3);
      renderImage(image, placement, augmentation.jitter, pixels);
      const boxes = placeBoxes([[...rectangle, 0]], placement);
      const bright = brightBox(pixels, size);
      if (boxes.length === 0) continue; // mostly cropped away
      expect(bright, `trial ${trial}`).toBeDefined();
      boxes[0].slice(0, 4).forEach((value, i) => expect(Math.abs(value - bright![i]), `trial ${trial} ${JSON.stringify(placement)}`).toBeLessThanOrEqual(1.01));
    }
  });

  it('draws the same augmentation from the same seed and position only', () => {
    const a = drawAugmentation(streamOf(5, 'augment', 0, 3));
    expect(drawAugmentation(streamOf(5, 'augment', 0, 3))).toEqual(a);
    expect(drawAugmentation(streamOf(5, 'augment', 1, 3))).not.toEqual(a);
    expect(drawAugmentation(streamOf(6, 'augment', 0, 3))).not.toEqual(a);
  });
});

describe('batches', () => {
  it('shuffles each epoch differently, reproducibly from the seed, and drops the last partial batch', () => {
    const options = { batchSize: 3, seed: 11, shuffle: true, dropLast: true };
    const epoch0 = epochBatches(10, 0, options);
    expect(epoch0).toHaveLength(3);
    expect(new Set(epoch0.flat()).size).toBe(9);
    expect(epochBatches(10, 0, options)).toEqual(epoch0);
    expect(epochBatches(10, 1, options)).not.toEqual(epoch0);
    expect(epochBatches(10, 0, { ...options, shuffle: false, dropLast: false })).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]);
  });

  it('prefetches in order and reports a failed load when its turn comes', async () => {
    const started: number[] = [];
    const task = (i: number) => async () => {
      started.push(i);
      if (i === 2) throw new Error('bad image 2');
      return i;
    };
    const seen: number[] = [];
    const run = async () => {
      for await (const value of prefetch([0, 1, 2, 3].map(task), 2)) {
        seen.push(value);
        expect(started.length).toBeLessThanOrEqual(value + 3);
      }
    };
    await expect(run()).rejects.toThrow('bad image 2');
    expect(seen).toEqual([0, 1]);
  });
});

describe('non-square input ([height, width])', () => {
  // A 100x50 image (width x height) with one box; hand-computed letterboxes of letterboxGeometry's rule: the
  // side that limits the scale fills the frame, the other is truncated.
  const BOX = [10, 5, 60, 45, 1];

  it('letterboxes into a wide and a tall frame as letterboxGeometry does, boxes scaled with the image', () => {
    // [64, 128]: 128/100 = 64/50 = 1.28, the image fills the frame exactly.
    const wide = letterboxPlacement(100, 50, [64, 128]);
    expect(wide).toEqual({ size: [64, 128], width: 100, height: 50, resizedWidth: 128, resizedHeight: 64, offsetX: 0, offsetY: 0, flip: false });
    expect(placeBoxes([BOX], wide)[0].map((v) => +v.toFixed(9))).toEqual([12.8, 6.4, 76.8, 57.6, 1]);
    // [128, 64]: the width limits (64/100 = 0.64 < 128/50): 64 x 32 at the top, 96 rows of padding below.
    const tall = letterboxPlacement(100, 50, [128, 64]);
    expect(tall).toMatchObject({ resizedWidth: 64, resizedHeight: 32, offsetX: 0, offsetY: 0 });
    expect(placeBoxes([BOX], tall)[0].map((v) => +v.toFixed(9))).toEqual([6.4, 3.2, 38.4, 28.8, 1]);
    // [64, 96]: the width limits (0.96 < 1.28): 96 x trunc(48.0) = 48. A tall 50x100 image into [64, 128]: the height limits.
    expect(letterboxPlacement(100, 50, [64, 96])).toMatchObject({ resizedWidth: 96, resizedHeight: 48 });
    expect(letterboxPlacement(50, 100, [64, 128])).toMatchObject({ resizedWidth: 32, resizedHeight: 64 });
    // Truncation as the reference: 333x500 into [512, 384] -> 384 / 333 * 500 = 576.6 > 512, so the height limits: 340x512.
    expect(letterboxPlacement(333, 500, [512, 384])).toMatchObject({ resizedWidth: 340, resizedHeight: 512 });
    // A square number and the same square as [side, side] place alike.
    expect({ ...letterboxPlacement(640, 480, [512, 512]), size: 512 }).toEqual(letterboxPlacement(640, 480, 512));
    // Back to the image with the model's mapping.
    const [placed] = placeBoxes([BOX], tall);
    const [{ box: back }] = mapToOriginal([{ box: placed.slice(0, 4) as [number, number, number, number], score: 1, classId: 0 }], letterboxScale(tall));
    back.forEach((value, i) => expect(value).toBeCloseTo(BOX[i], 9));
  });

  it('augments per axis: positions range over each side of the frame, flips and crops map boxes (hand-checked)', () => {
    // [128, 64] at scale 1: 64 x 32; x has no room (offset 0), y ranges over [0, 96]: v = 0.5 -> floor(0.5 * 97) = 48.
    expect(augmentedPlacement(100, 50, [128, 64], { flip: false, scale: 1, u: 0.9, v: 0.5 })).toMatchObject({ offsetX: 0, offsetY: 48 });
    // At scale 1.5: 96 x 48, x in [-32, 0] (u = 0 crops 32 columns on the left), y in [0, 80] (v -> 80, the bottom).
    const placement = augmentedPlacement(100, 50, [128, 64], { flip: true, scale: 1.5, u: 0, v: 0.999 });
    expect(placement).toMatchObject({ resizedWidth: 96, resizedHeight: 48, offsetX: -32, offsetY: 80, flip: true });
    // Flipped: x -> [100 - 60, 100 - 10] = [40, 90]; times 0.96, minus 32: [6.4, 54.4]; y: [5, 45] * 0.96 + 80 = [84.8, 123.2].
    expect(placeBoxes([BOX], placement)[0].map((v) => +v.toFixed(9))).toEqual([6.4, 84.8, 54.4, 123.2, 1]);
    // Unflipped, the same box lands at [9.6 - 32, 57.6 - 32] = [-22.4, 25.6]: clipped to [0, 25.6], 53% visible, kept.
    const unflipped = placeBoxes([BOX], { ...placement, flip: false });
    expect(unflipped[0].map((v) => +v.toFixed(9))).toEqual([0, 84.8, 25.6, 123.2, 1]);
    // A wide frame the other way round: [64, 128] at scale 0.5 -> 64 x 32, x in [0, 64], y in [0, 32].
    expect(augmentedPlacement(100, 50, [64, 128], { flip: false, scale: 0.5, u: 0.999, v: 0.999 })).toMatchObject({ offsetX: 64, offsetY: 32 });
  });

  it('renders pixels that stay with their boxes in a non-square frame under random augmentation', () => {
    const rectangle = [30, 12, 52, 30];
    const image = rectangleImage(64, 48, rectangle);
    for (const [height, width] of [
      [48, 96],
      [96, 40],
    ]) {
      for (let trial = 0; trial < 20; trial++) {
        const augmentation = drawAugmentation(streamOf(9, 'trial', trial), { ...DEFAULT_AUGMENT, scaleRange: [0.6, 1.6], brightness: 0.1 });
        const placement = augmentedPlacement(64, 48, [height, width], augmentation.placement);
        // A sentinel after the image's [height, width, 3] floats shows the renderer stays within its frame.
        const pixels = new Float32Array(height * width * 3 + 1).fill(0);
        pixels[height * width * 3] = -7;
        renderImage(image, placement, augmentation.jitter, pixels);
        expect(pixels[height * width * 3]).toBe(-7);
        const boxes = placeBoxes([[...rectangle, 0]], placement);
        const bright = brightBox(pixels, height, width);
        if (boxes.length === 0) continue;
        const label = `${height}x${width} trial ${trial} ${JSON.stringify(placement)}`;
        expect(bright, label).toBeDefined();
        boxes[0].slice(0, 4).forEach((value, i) => expect(Math.abs(value - bright![i]), label).toBeLessThanOrEqual(1.01));
      }
    }
  });

  it('loads [N, height, width, 3] batches: each image in its own slot, boxes inside the frame', async () => {
    const rectangles = [
      [10, 5, 60, 45],
      [4, 8, 36, 72],
    ];
    const images = [rectangleImage(100, 50, rectangles[0]), rectangleImage(40, 80, rectangles[1])];
    const samples: Sample[] = images.map((image, i) => ({ file: `m${i}`, name: `m${i}`, width: image.width, height: image.height, boxes: [[...rectangles[i], 0] as Box], imageId: i }));
    const readImage = async (sample: { imageId: number }) => images[sample.imageId];
    const size: [number, number] = [64, 96];
    const options = { size, batchSize: 2, seed: 3, augment: true, shuffle: false, dropLast: false, readImage };
    const batch = await loadBatch(samples, [0, 1], 0, 0, options);
    expect(batch.size).toEqual([64, 96]);
    expect(batch.pixels).toHaveLength(2 * 64 * 96 * 3);
    for (let slot = 0; slot < 2; slot++) {
      // The slot holds what renderImage makes of the image with the batch's placement.
      const alone = new Float32Array(64 * 96 * 3);
      const augmentation = drawAugmentation(streamOf(3, 'augment', 0, slot));
      expect(batch.placements[slot]).toEqual(augmentedPlacement(images[slot].width, images[slot].height, size, augmentation.placement));
      renderImage(images[slot], batch.placements[slot], augmentation.jitter, alone);
      expect(batch.pixels.subarray(slot * 64 * 96 * 3, (slot + 1) * 64 * 96 * 3)).toEqual(alone);
      for (const [x1, y1, x2, y2] of batch.boxes[slot]) expect(0 <= x1 && x1 < x2 && x2 <= 96 && 0 <= y1 && y1 < y2 && y2 <= 64).toBe(true);
    }
    // Unaugmented, the tall 40x80 image is letterboxed to 32x64 at the top-left.
    const plain = await loadBatch(samples, [1], 0, 0, { ...options, augment: false });
    expect(plain.placements[0]).toMatchObject({ resizedWidth: 32, resizedHeight: 64, offsetX: 0, offsetY: 0 });
    expect(plain.boxes[0][0].map((v) => +v.toFixed(9))).toEqual([3.2, 6.4, 28.8, 57.6, 0]);
  });

  it('refuses a size that is not a side or [height, width], naming it', async () => {
    const options = { batchSize: 1, seed: 1, augment: false, shuffle: false, dropLast: false, readImage: async () => rectangleImage(4, 4, [0, 0, 1, 1]) };
    for (const size of [[64], [64, 0], [64, 96.5], 0, [64, 96, 3]]) {
      const bad = { ...options, size: size as unknown as number };
      expect(() => letterboxPlacement(4, 4, bad.size)).toThrow(DataError);
      expect(() => streamEpoch([], 0, 0, bad)).toThrow(/^size: expected a positive integer \(square side\) or \[height, width\] of positive integers, got /);
      await expect(loadBatch([], [], 0, 0, bad)).rejects.toThrow(DataError);
    }
    expect(() => letterboxPlacement(4, 4, [64, -1])).toThrow('size: expected a positive integer (square side) or [height, width] of positive integers, got [64,-1]');
  });
});
