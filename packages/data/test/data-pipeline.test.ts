import { letterboxImage, type RgbImage } from '@edet/model';
import { describe, expect, it } from 'vitest';

import { loadCocoDataset } from '../src/node/coco.js';
import { loadBatch, streamEpoch } from '../src/node/pipeline.js';
import { letterboxPlacement } from '../src/placement.js';
import { NO_JITTER, renderImage } from '../src/render.js';
import { BUNDLED_DATASET } from './support/datasets.js';

// The pipeline against the model and real image files (Node only: it reads and decodes files, and compares
// with letterboxImage at the cpu/wasm tolerance). The isomorphic parts are in placement-batches.test.ts.

/** An RGB image with every channel varying. */
function patternImage(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + ((i / 3) | 0) * 11) % 256;
  return { data, width, height, channels: 3 };
}

describe('letterbox', () => {
  it("renders exactly the model's letterboxImage (geometry, resampling, normalisation, zero padding)", () => {
    for (const [width, height, size] of [
      [37, 23, 64],
      [20, 45, 128],
      [64, 64, 64],
      [300, 200, 128],
    ]) {
      const image = patternImage(width, height);
      const placement = letterboxPlacement(width, height, size);
      const ours = new Float32Array(size * size * 3);
      renderImage(image, placement, NO_JITTER, ours);
      const { input, letterbox } = letterboxImage(image, size);
      expect([placement.resizedWidth, placement.resizedHeight]).toEqual([letterbox.resizedWidth, letterbox.resizedHeight]);
      const reference = input.dataSync();
      input.dispose();
      let worst = 0;
      for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - reference[i]));
      // The backend computes source positions in float32: 1e-4 after normalisation is 0.006 of a 0-255 level.
      expect(worst, `${width}x${height} -> ${size}`).toBeLessThan(1e-4);
    }
  });
});

describe('letterbox into [height, width]', () => {
  it("renders exactly the model's letterboxImage for wide and tall frames", () => {
    const cases: [number, number, [number, number]][] = [
      [100, 50, [64, 128]],
      [100, 50, [128, 64]],
      [37, 23, [48, 80]],
      [20, 45, [96, 40]],
    ];
    for (const [width, height, size] of cases) {
      const image = patternImage(width, height);
      const placement = letterboxPlacement(width, height, size);
      const ours = new Float32Array(size[0] * size[1] * 3);
      renderImage(image, placement, NO_JITTER, ours);
      const { input, letterbox } = letterboxImage(image, size);
      expect(input.shape).toEqual([1, size[0], size[1], 3]);
      expect([placement.resizedWidth, placement.resizedHeight]).toEqual([letterbox.resizedWidth, letterbox.resizedHeight]);
      const reference = input.dataSync();
      input.dispose();
      let worst = 0;
      for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - reference[i]));
      // As for square frames: float32 source positions on the backend, 1e-4 after normalisation.
      expect(worst, `${width}x${height} -> ${size.join('x')}`).toBeLessThan(1e-4);
    }
  });
});

describe('the Lite normalisation', () => {
  it("renders exactly letterboxImage with 'symmetric' ((x/255 - 0.5) / 0.5), square and non-square", () => {
    for (const [width, height, size] of [
      [37, 23, 64],
      [100, 50, [128, 64]],
    ] as [number, number, number | [number, number]][]) {
      const image = patternImage(width, height);
      const placement = letterboxPlacement(width, height, size);
      const [frameHeight, frameWidth] = typeof size === 'number' ? [size, size] : size;
      const ours = new Float32Array(frameHeight * frameWidth * 3);
      renderImage(image, placement, NO_JITTER, ours, 0, 'symmetric');
      const { input } = letterboxImage(image, size, 'symmetric');
      const reference = input.dataSync();
      input.dispose();
      let worst = 0;
      for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - reference[i]));
      expect(worst, `${width}x${height} -> ${size}`).toBeLessThan(1e-4);
      // Not the ImageNet values: a bright pixel is near 1, not near 2.2.
      expect(Math.max(...ours)).toBeLessThanOrEqual(1);
    }
  });

  it('is what batches carry when the pipeline is told so', async () => {
    const samples = loadCocoDataset(BUNDLED_DATASET, 'train').samples.slice(0, 1);
    const options = { size: 128, batchSize: 1, seed: 4, augment: false, shuffle: false, dropLast: false };
    const imagenet = await loadBatch(samples, [0], 0, 0, options);
    const symmetric = await loadBatch(samples, [0], 0, 0, { ...options, normalization: 'symmetric' });
    // Same pixels, other statistics: red (x/255 - 0.485) / 0.229 against (x/255 - 0.5) / 0.5 at every pixel of the image.
    const red = (value: number) => ((value * 0.229 + 0.485) - 0.5) / 0.5;
    for (let i = 0; i < 128 * 96 * 3; i += 3 * 97) expect(symmetric.pixels[i]).toBeCloseTo(red(imagenet.pixels[i]), 5);
  });
});

describe('batches', () => {
  it('loads real images into NHWC batches with boxes in input pixels; resuming mid-epoch gives the same batches', async () => {
    const samples = loadCocoDataset(BUNDLED_DATASET, 'train').samples.slice(0, 4);
    const options = { size: 128, batchSize: 2, seed: 4, augment: true, shuffle: true, dropLast: true, lookahead: 2 };
    const all = [];
    for await (const batch of streamEpoch(samples, 2, 0, options)) all.push(batch);
    expect(all.map((b) => b.index)).toEqual([0, 1]);
    expect(all[0].pixels).toHaveLength(2 * 128 * 128 * 3);
    for (const batch of all) for (const boxes of batch.boxes) for (const [x1, y1, x2, y2] of boxes) expect(0 <= x1 && x1 < x2 && x2 <= 128 && 0 <= y1 && y1 < y2 && y2 <= 128).toBe(true);
    const resumed = [];
    for await (const batch of streamEpoch(samples, 2, 1, options)) resumed.push(batch);
    expect(resumed).toHaveLength(1);
    expect(resumed[0].samples.map((s) => s.name)).toEqual(all[1].samples.map((s) => s.name));
    expect(resumed[0].boxes).toEqual(all[1].boxes);
    expect(Buffer.from(resumed[0].pixels.buffer).equals(Buffer.from(all[1].pixels.buffer))).toBe(true);
    // Without augmentation a batch is the letterbox of each image.
    const plain = await loadBatch(samples, [0], 0, 0, { ...options, augment: false });
    expect(plain.placements[0]).toMatchObject({ offsetX: 0, offsetY: 0, resizedWidth: 128, resizedHeight: 96, flip: false });
  });
});
