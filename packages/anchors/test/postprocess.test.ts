import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { InvalidArgumentError } from '@edet/tensor';
import { mapToOriginal, postprocess, resizeScale, scaleBoxes, type Detection } from '@edet/anchors';

// Four anchors ([y1, x1, y2, x2]) and zero deltas, so each decoded box is its anchor as [x1, y1, x2, y2].
// Anchor 1 lies inside anchor 0 (IoU 0.81); anchor 2 overlaps anchor 0 (IoU 1/3); anchor 3 pokes out at top-left.
const anchorRows = [
  [0, 0, 10, 10],
  [1, 1, 10, 10],
  [5, 0, 15, 10],
  [-4, -6, 4, 6],
];

// Image 0: anchors 0 and 1 are class 1, anchor 2 is class 2 (ties with class 0 resolve to the first index,
// so it is given 0.7 on class 2 alone), anchor 3 is class 0. Image 1: every score is at or below 0.2.
const probabilities = [
  [
    [0.1, 0.9, 0.3],
    [0.2, 0.8, 0.1],
    [0.1, 0.1, 0.7],
    [0.6, 0.6, 0.1],
  ],
  [
    [0.2, 0.2, 0.2],
    [0.1, 0.0, 0.0],
    [0.0, 0.2, 0.0],
    [0.05, 0.1, 0.15],
  ],
];

async function run(options: Partial<Parameters<typeof postprocess>[3]> = {}, anchorShape: number[] = [4, 4]) {
  const classification = tf.tensor3d(probabilities);
  const regression = tf.zeros([2, 4, 4]);
  const anchors = tf.tensor(anchorRows.flat(), anchorShape);
  const before = tf.memory().numTensors;
  try {
    const result = await postprocess(classification, regression, anchors, { imageSize: [100, 200], ...options });
    // Every intermediate is disposed; the inputs are left to the caller.
    expect(tf.memory().numTensors).toBe(before);
    return result;
  } finally {
    tf.dispose([classification, regression, anchors]);
  }
}

function summary(detections: Detection[]): [number, number][] {
  return detections.map((detection) => [detection.classId, Math.round(detection.score * 1000) / 1000]);
}

describe('postprocess', () => {
  it('per-class: keeps the best box of each overlapping class, best first, clipped', async () => {
    const [first, second] = await run();
    expect(summary(first)).toEqual([
      [1, 0.9],
      [2, 0.7],
      [0, 0.6],
    ]);
    expect(first[0].box).toEqual([0, 0, 10, 10]);
    expect(first[1].box).toEqual([0, 5, 10, 15]);
    // Anchor 3 decodes to [-6, -4, 6, 4]; x1 and y1 are clamped at 0.
    expect(first[2].box).toEqual([0, 0, 6, 4]);
    expect(first[0].score).toBe(Math.fround(0.9));
    // 0.2 itself does not pass "score > 0.2".
    expect(second).toEqual([]);
  });

  it('agnostic: overlapping boxes of other classes are suppressed too', async () => {
    // At IoU 0.3 anchor 2 (IoU 1/3 with anchor 0) goes although its class differs; clipped anchor 3
    // (IoU 24/100 with anchor 0) stays.
    const [first] = await run({ nms: 'agnostic', iouThreshold: 0.3 });
    expect(summary(first)).toEqual([
      [1, 0.9],
      [0, 0.6],
    ]);
  });

  it('soft: decays overlapping scores within a class and drops those at or under the threshold', async () => {
    const [first] = await run({ nms: 'soft', softNmsSigma: 0.5 });
    // Anchor 1 decays to 0.8 * exp(-0.81^2 / 0.5) = 0.215 > 0.2 and stays, last.
    expect(first.map((detection) => detection.classId)).toEqual([1, 2, 0, 1]);
    expect(first[3].score).toBeCloseTo(Math.fround(0.8) * Math.exp(-(0.81 ** 2) / 0.5), 6);
    const [strict] = await run({ nms: 'soft', scoreThreshold: 0.25 });
    expect(strict.map((detection) => detection.classId)).toEqual([1, 2, 0]);
  });

  it('applies maxDetections after NMS, a lower score threshold and the IoU threshold', async () => {
    expect(summary((await run({ maxDetections: 2 }))[0])).toEqual([
      [1, 0.9],
      [2, 0.7],
    ]);
    // With IoU threshold 0.9 anchor 1 survives next to anchor 0.
    expect((await run({ iouThreshold: 0.9 }))[0]).toHaveLength(4);
    // Threshold 0.19: image 1 keeps anchors 0 and 2 (0.2 each); anchor 0 wins the tie and its classes tie too.
    const [, second] = await run({ scoreThreshold: 0.19 });
    expect(summary(second)).toEqual([
      [0, 0.2],
      [1, 0.2],
    ]);
  });

  it('accepts [1, A, 4] anchors and rejects mismatched shapes', async () => {
    expect(summary((await run({}, [1, 4, 4]))[0])).toHaveLength(3);
    const classification = tf.zeros([1, 4, 3]);
    const regression = tf.zeros([1, 5, 4]);
    const anchors = tf.zeros([4, 4]);
    const options = { imageSize: [8, 8] as [number, number] };
    await expect(postprocess(classification, regression, anchors, options)).rejects.toThrow(InvalidArgumentError);
    await expect(postprocess(classification, anchors, regression, options)).rejects.toThrow(/regression/);
    tf.dispose([classification, regression, anchors]);
  });

  it('refuses a disposed tensor, naming it, even anchors whose values it read before', async () => {
    const classification = tf.tensor3d(probabilities);
    const regression = tf.zeros([2, 4, 4]);
    const anchors = tf.tensor2d(anchorRows);
    const options = { imageSize: [100, 200] as [number, number] };
    expect(await postprocess(classification, regression, anchors, options)).toHaveLength(2);
    anchors.dispose();
    await expect(postprocess(classification, regression, anchors, options)).rejects.toThrow(/anchors: expected a tensor not yet disposed/);
    regression.dispose();
    await expect(postprocess(classification, regression, tf.tensor2d(anchorRows), options)).rejects.toThrow(/regression: expected a tensor not yet disposed/);
    tf.dispose([classification]);
  });

  it('gives calls that overlap (awaited together) the results of the same calls one after the other', async () => {
    const modes = [{}, { nms: 'agnostic' as const }, { nms: 'soft' as const }, { iouThreshold: 1, scoreThreshold: 0.05 }];
    const classification = tf.tensor3d(probabilities);
    const regression = tf.tensor3d(Array.from({ length: 32 }, (_, i) => ((i * 7) % 5) / 10 - 0.2), [2, 4, 4]);
    const anchors = tf.tensor2d(anchorRows);
    const call = (options: object) => postprocess(classification, regression, anchors, { imageSize: [100, 200], ...options });
    const before = tf.memory().numTensors;
    const alone = [];
    for (const options of modes) alone.push(await call(options));
    // Each call holds its own scratch arrays while the others run between its awaits.
    expect(await Promise.all(modes.map(call))).toEqual(alone);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([classification, regression, anchors]);
  });
});

describe('mapToOriginal and scaleBoxes', () => {
  it('divides x by newW/oldW and y by newH/oldH; scaleBoxes multiplies', () => {
    const detections: Detection[] = [{ box: [512, 382, 256, 191], score: 0.5, classId: 3 }];
    const scale = resizeScale([374, 500], [382, 512]);
    expect(scale).toEqual({ scaleX: 512 / 500, scaleY: 382 / 374 });
    const [mapped] = mapToOriginal(detections, scale);
    mapped.box.forEach((value, index) => expect(value).toBeCloseTo([500, 374, 250, 187][index], 10));
    expect(mapped).toMatchObject({ score: 0.5, classId: 3 });
    const [back] = scaleBoxes([mapped], scale);
    expect(back.box.map((value) => Math.round(value * 1e6) / 1e6)).toEqual([512, 382, 256, 191]);
    expect(detections[0].box).toEqual([512, 382, 256, 191]); // inputs untouched
    expect(() => mapToOriginal(detections, { scaleX: 0, scaleY: 1 })).toThrow(InvalidArgumentError);
  });
});

describe('mapToOriginal with clipTo', () => {
  const unit = { scaleX: 1, scaleY: 1 };

  it('clips boxes that reach into the letterbox padding or past the left/top edge', () => {
    const clipped = mapToOriginal([{ box: [-3, 10, 520, 385.6], score: 0.5, classId: 1 }], unit, { clipTo: { width: 500, height: 374 } });
    expect(clipped).toEqual([{ box: [0, 10, 500, 374], score: 0.5, classId: 1 }]);
  });

  it('maps first, then clips to the original size', () => {
    // 500x374 letterboxed to 512: resized 512x382; the box reaches 6 px into the right-hand padding.
    const scale = resizeScale([374, 500], [382, 512]);
    const [mapped] = mapToOriginal([{ box: [256, 191, 518, 382], score: 0.5, classId: 0 }], scale, { clipTo: { width: 500, height: 374 } });
    expect(mapped.box[0]).toBeCloseTo(250, 12);
    expect(mapped.box[1]).toBeCloseTo(191 / (382 / 374), 12);
    expect(mapped.box[2]).toBe(500);
    expect(mapped.box[3]).toBeCloseTo(374, 12);
  });

  it('drops boxes left with no area: wholly in the padding, or inverted by clipping to the input', () => {
    const inPadding = { box: [505, 0, 511, 374] as [number, number, number, number], score: 0.9, classId: 0 };
    const below = { box: [10, 380, 60, 400] as [number, number, number, number], score: 0.8, classId: 0 };
    const inverted = { box: [0, 0, -92, 300] as [number, number, number, number], score: 0.75, classId: 1 };
    const kept = { box: [10, 10, 60, 60] as [number, number, number, number], score: 0.7, classId: 2 };
    expect(mapToOriginal([inPadding, below, inverted, kept], unit, { clipTo: { width: 500, height: 374 } })).toEqual([kept]);
    // Without clipTo every box is kept, as the reference reports them.
    expect(mapToOriginal([inPadding, below, inverted, kept], unit)).toHaveLength(4);
  });

  it('rejects a clipTo without area', () => {
    expect(() => mapToOriginal([], unit, { clipTo: { width: 0, height: 5 } })).toThrow(InvalidArgumentError);
  });
});
