import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { type Detection, type NmsMode, boxIou, nms, postprocess } from '@edet/anchors';

import { rng } from '../../tensor/test/gradients-check.js';

// `nms` and `postprocess` against a plain reference written the obvious way: float64, every box checked
// against every kept box, soft-NMS rescanning and decaying every remaining box. Inputs are random (seeded)
// with deliberate ties (repeated scores and boxes), NaN scores, boxes with no area or non-finite corners, and
// many classes, so that the candidates' sort, the per-class buckets and the shortcuts are all exercised.

interface ReferenceOptions {
  mode: NmsMode;
  iouThreshold: number;
  scoreThreshold: number;
  softNmsSigma: number;
  maxDetections: number;
}

/** Greedy NMS as torchvision describes it, and Gaussian soft-NMS as in the soft-NMS paper. */
function referenceNms(boxes: ArrayLike<number>, scores: ArrayLike<number>, classes: ArrayLike<number>, options: ReferenceOptions) {
  const { mode, iouThreshold, scoreThreshold, softNmsSigma, maxDetections } = options;
  const sameGroup = (i: number, j: number) => mode === 'agnostic' || Object.is(classes[i], classes[j]) || classes[i] === classes[j];
  const alive = Array.from({ length: scores.length }, (_, index) => index).filter((index) => scores[index] > scoreThreshold);
  let picked: { index: number; score: number }[] = [];
  if (mode === 'soft') {
    const current = Array.from(scores);
    let remaining = alive;
    while (remaining.length > 0) {
      // Best over every remaining box; groups do not interact, so picking across them is the same.
      const top = remaining.reduce((best, index) => (current[index] > current[best] ? index : best), remaining[0]);
      picked.push({ index: top, score: current[top] });
      remaining = remaining.filter((index) => {
        if (index === top || !sameGroup(index, top)) return index !== top;
        const iou = boxIou(boxes, top, index);
        current[index] *= Math.exp(-(iou * iou) / softNmsSigma);
        return current[index] > scoreThreshold;
      });
    }
    picked.sort((a, b) => b.score - a.score || a.index - b.index);
  } else {
    const order = [...alive].sort((i, j) => (scores[j] > scores[i] ? 1 : scores[j] < scores[i] ? -1 : i - j));
    for (const index of order) {
      if (picked.some(({ index: kept }) => sameGroup(kept, index) && boxIou(boxes, kept, index) > iouThreshold)) continue;
      picked.push({ index, score: scores[index] });
    }
  }
  picked = picked.slice(0, Math.min(picked.length, maxDetections));
  return { indices: picked.map((entry) => entry.index), scores: picked.map((entry) => entry.score) };
}

/**
 * `count` boxes on a coarse grid (so many repeat or nest exactly; some have no area, a few a non-finite
 * coordinate), scores drawn from few values, some NaN.
 */
function randomCase(seed: number, count: number, classCount: number) {
  const next = rng(seed);
  const boxes = new Float32Array(count * 4);
  for (let index = 0; index < count; index++) {
    const x = Math.floor(next() * 12) * 4;
    const y = Math.floor(next() * 12) * 4;
    const width = next() < 0.05 ? 0 : 2 + Math.floor(next() * 6) * 3;
    boxes.set([x, y, x + width, y + 2 + Math.floor(next() * 6) * 3], index * 4);
    // A few boxes reach to infinity or have a NaN coordinate.
    if (next() < 0.04) boxes[index * 4 + Math.floor(next() * 4)] = [Infinity, -Infinity, NaN][Math.floor(next() * 3)];
  }
  const scores = Float32Array.from({ length: count }, () => (next() < 0.05 ? NaN : Math.floor(next() * 40) / 40));
  const classes = Int32Array.from({ length: count }, () => Math.floor(next() * classCount));
  return { boxes, scores, classes };
}

const CASES: ReferenceOptions[] = [
  { mode: 'per-class', iouThreshold: 0.2, scoreThreshold: 0.2, softNmsSigma: 0.5, maxDetections: Infinity },
  { mode: 'per-class', iouThreshold: 0.5, scoreThreshold: -Infinity, softNmsSigma: 0.5, maxDetections: 7 },
  { mode: 'per-class', iouThreshold: 0, scoreThreshold: 0.1, softNmsSigma: 0.5, maxDetections: Infinity },
  { mode: 'per-class', iouThreshold: 1, scoreThreshold: 0.01, softNmsSigma: 0.5, maxDetections: 50 },
  { mode: 'agnostic', iouThreshold: 0.3, scoreThreshold: 0.05, softNmsSigma: 0.5, maxDetections: Infinity },
  { mode: 'agnostic', iouThreshold: 1, scoreThreshold: 0.9, softNmsSigma: 0.5, maxDetections: 0 },
  { mode: 'soft', iouThreshold: 0.2, scoreThreshold: 0.1, softNmsSigma: 0.5, maxDetections: Infinity },
  { mode: 'soft', iouThreshold: 0.2, scoreThreshold: 0.001, softNmsSigma: 0.1, maxDetections: 25 },
];

describe('nms against the plain reference', () => {
  it.each(CASES)('$mode, IoU $iouThreshold, score > $scoreThreshold, at most $maxDetections', (options) => {
    for (const [seed, count, classCount] of [
      [1, 300, 3],
      [2, 300, 40],
      [3, 1, 1],
      [4, 0, 1],
    ] as const) {
      const { boxes, scores, classes } = randomCase(seed, count, classCount);
      // Exact equality: the same float64 operations decide, so not even the scores may differ.
      expect(nms(boxes, scores, classes, options)).toEqual(referenceNms(boxes, scores, classes, options));
    }
  });

  it('agrees at extreme scales (areas that overflow, extents near the float64 limit)', () => {
    const { boxes, scores, classes } = randomCase(5, 200, 2);
    for (const scale of [1e-300, 1e150, 1e200, 1e306]) {
      const scaled = Float64Array.from(boxes, (value) => value * scale);
      for (const options of CASES) expect(nms(scaled, scores, classes, options)).toEqual(referenceNms(scaled, scores, classes, options));
    }
  });

  it('returns nothing when every score is NaN or at the threshold', () => {
    const boxes = new Float32Array([0, 0, 1, 1, 0, 0, 1, 1]);
    expect(nms(boxes, [NaN, 0.5], [0, 0], { scoreThreshold: 0.5 })).toEqual({ indices: [], scores: [] });
  });
});

/** The reference decode (float64) and clip, boxes `[x1, y1, x2, y2]`. */
function referenceBoxes(deltas: Float32Array, anchors: Float32Array, [height, width]: [number, number]): Float64Array {
  const boxes = new Float64Array(deltas.length);
  for (let row = 0; row < deltas.length / 4; row++) {
    const [dy, dx, dh, dw] = deltas.subarray(row * 4, row * 4 + 4);
    const anchorRow = (row % (anchors.length / 4)) * 4;
    const [ay1, ax1, ay2, ax2] = anchors.subarray(anchorRow, anchorRow + 4);
    const [ha, wa] = [ay2 - ay1, ax2 - ax1];
    const [yc, xc] = [dy * ha + (ay1 + ay2) / 2, dx * wa + (ax1 + ax2) / 2];
    const [h, w] = [Math.exp(dh) * ha, Math.exp(dw) * wa];
    boxes.set([Math.max(xc - w / 2, 0), Math.max(yc - h / 2, 0), Math.min(xc + w / 2, width - 1), Math.min(yc + h / 2, height - 1)], row * 4);
  }
  return boxes;
}

describe('postprocess against the plain reference', () => {
  // Two images of 240 anchors and 6 classes; scores on a coarse grid (ties) with a few NaN.
  const [batch, count, classCount] = [2, 240, 6];
  const imageSize: [number, number] = [64, 96];
  const next = rng(11);
  const probabilities = Float32Array.from({ length: batch * count * classCount }, () => (next() < 0.01 ? NaN : Math.floor(next() * 50) / 50));
  const anchorValues = new Float32Array(count * 4);
  for (let anchor = 0; anchor < count; anchor++) {
    const [y, x, side] = [Math.floor(next() * 60), Math.floor(next() * 90), 4 + Math.floor(next() * 5) * 4];
    anchorValues.set([y - side / 2, x - side / 2, y + side / 2, x + side / 2], anchor * 4);
  }
  // Small deltas, a quarter of them exactly zero (the anchor itself: exact ties between boxes).
  const deltaValues = Float32Array.from({ length: batch * count * 4 }, () => (next() < 0.25 ? 0 : (next() - 0.5) * 0.3));

  /** The reference detections of one image: best score and its first class, threshold, NMS. */
  function reference(image: number, options: ReferenceOptions): Detection[] {
    const boxes = referenceBoxes(deltaValues.subarray(image * count * 4, (image + 1) * count * 4), anchorValues, imageSize);
    const scores = new Float64Array(count);
    const classes = new Int32Array(count);
    for (let anchor = 0; anchor < count; anchor++) {
      const row = probabilities.subarray((image * count + anchor) * classCount, (image * count + anchor + 1) * classCount);
      // A row holding NaN scores NaN (dropped), as tf.max gives on the Node backends.
      scores[anchor] = row.some(Number.isNaN) ? NaN : Math.max(...row);
      classes[anchor] = row.indexOf(scores[anchor]);
    }
    const kept = referenceNms(boxes, scores, classes, { ...options, scoreThreshold: Math.fround(options.scoreThreshold) });
    return kept.indices.map((index, rank) => ({ box: Array.from(boxes.subarray(index * 4, index * 4 + 4)) as Detection['box'], score: kept.scores[rank], classId: classes[index] }));
  }

  it.each(CASES.filter((options) => options.scoreThreshold >= 0))('$mode, IoU $iouThreshold, score > $scoreThreshold, at most $maxDetections', async (options) => {
    const classification = tf.tensor3d(probabilities, [batch, count, classCount]);
    const regression = tf.tensor3d(deltaValues, [batch, count, 4]);
    const anchors = tf.tensor2d(anchorValues, [count, 4]);
    const before = tf.memory().numTensors;
    const { mode, iouThreshold, scoreThreshold, softNmsSigma, maxDetections } = options;
    const result = await postprocess(classification, regression, anchors, { imageSize, nms: mode, iouThreshold, scoreThreshold, softNmsSigma, maxDetections });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([classification, regression, anchors]);
    expect(result).toHaveLength(batch);
    for (let image = 0; image < batch; image++) {
      const expected = reference(image, options);
      // Same detections in the same order; boxes within float32 rounding of the float64 decode (inputs
      // up to ~100 px: a few ulps of 2^-17), scores are the float32 inputs themselves (soft: float64 decay
      // of the same values, so within the boxes' rounding effect on the IoU).
      expect(result[image].map(({ classId }) => classId)).toEqual(expected.map(({ classId }) => classId));
      result[image].forEach((detection, rank) => {
        detection.box.forEach((value, axis) => expect(value).toBeCloseTo(expected[rank].box[axis], 4));
        expect(detection.score).toBeCloseTo(expected[rank].score, mode === 'soft' ? 5 : 12);
      });
    }
  });

  it('keeps at most the cap of candidates, the best ones, when nothing is suppressed', async () => {
    // The demo's candidate path at a small scale: threshold 0.01, IoU 1 (no suppression), at most 100.
    const classification = tf.tensor3d(probabilities, [batch, count, classCount]);
    const regression = tf.tensor3d(deltaValues, [batch, count, 4]);
    const anchors = tf.tensor2d(anchorValues, [count, 4]);
    const options = { imageSize, scoreThreshold: 0.01, iouThreshold: 1, maxDetections: 100 };
    const [capped, all] = [await postprocess(classification, regression, anchors, options), await postprocess(classification, regression, anchors, { ...options, maxDetections: Infinity })];
    tf.dispose([classification, regression, anchors]);
    for (let image = 0; image < batch; image++) {
      expect(all[image].length).toBeGreaterThan(100);
      expect(capped[image]).toEqual(all[image].slice(0, 100));
      const expected = reference(image, { mode: 'per-class', iouThreshold: 1, scoreThreshold: 0.01, softNmsSigma: 0.5, maxDetections: 100 });
      expect(capped[image].map(({ score }) => score)).toEqual(expected.map(({ score }) => score));
    }
  });
});
