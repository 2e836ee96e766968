import { boxToOriginal, type RgbImage } from '@edet/model';
import { describe, expect, it } from 'vitest';

import { DEFAULT_AUGMENT, drawAugmentation } from '../src/augment.js';
import { epochBatches } from '../src/pipeline.js';
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

/** The bounding box of input pixels brighter than mid-grey (red channel, normalised), or undefined. */
function brightBox(pixels: Float32Array, size: number): number[] | undefined {
  let box: number[] | undefined;
  const threshold = (128 / 255 - 0.485) / 0.229;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (pixels[(y * size + x) * 3] <= threshold) continue;
      box = box ? [Math.min(box[0], x), Math.min(box[1], y), Math.max(box[2], x + 1), Math.max(box[3], y + 1)] : [x, y, x + 1, y + 1];
    }
  }
  return box;
}

describe('letterbox', () => {
  it("scales boxes by the inverse of the model's boxToOriginal", () => {
    const placement = letterboxPlacement(640, 480, 512);
    expect([placement.resizedWidth, placement.resizedHeight]).toEqual([512, 384]);
    const [placed] = placeBoxes([[260, 177, 491, 376, 1]], placement);
    expect(placed[4]).toBe(1);
    const back = boxToOriginal(placed.slice(0, 4), { width: 640, height: 480, resizedWidth: 512, resizedHeight: 384 });
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
