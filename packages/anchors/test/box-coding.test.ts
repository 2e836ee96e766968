import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { anchorTensor, clipBoxes, decodeBoxes, encodeBoxes, pairwiseIou, swapXY } from '@edet/anchors';

function values(tensor: tf.Tensor): number[] {
  const out = Array.from(tensor.dataSync());
  tensor.dispose();
  return out;
}

describe('decodeBoxes', () => {
  it('applies (dy, dx, dh, dw) to a yxyx anchor and returns xyxy', () => {
    // Anchor centre (y 10, x 20), height 8, width 16.
    const anchors = tf.tensor2d([[6, 12, 14, 28]]);
    const regression = tf.tensor3d([[[0, 0, 0, 0]], [[0.5, -0.25, Math.log(2), Math.log(0.5)]]]);
    const decoded = decodeBoxes(regression, anchors);
    expect(decoded.shape).toEqual([2, 1, 4]);
    const all = values(decoded);
    const [identity, moved] = [all.slice(0, 4), all.slice(4)];
    expect(identity).toEqual([12, 6, 28, 14]);
    // yc = 10 + 0.5 * 8 = 14, xc = 20 - 0.25 * 16 = 16, h = 16, w = 8.
    moved.forEach((value, index) => expect(value).toBeCloseTo([12, 6, 20, 22][index], 5));
    tf.dispose([anchors, regression]);
  });

  it('round-trips with encodeBoxes to 1e-5 on the D0 anchors', () => {
    const before = tf.memory().numTensors;
    const anchors = anchorTensor({ imageSize: [256, 256] });
    const count = anchors.shape[0];
    const regression = tf.randomUniform([2, count, 4], -1, 1, 'float32', 7);
    const boxes = decodeBoxes(regression, anchors);
    const deltas = encodeBoxes(boxes, anchors);
    expect(deltas.shape).toEqual([2, count, 4]);
    const error = tf.tidy(() => tf.max(tf.abs(tf.sub(deltas, regression))).dataSync()[0]);
    expect(error).toBeLessThan(1e-5);
    tf.dispose([anchors, regression, boxes, deltas]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('encodes the anchor itself as zero deltas', () => {
    const anchors = tf.tensor2d([[-12, -12, 20, 20], [-7.2, -18.4, 15.2, 26.4]]);
    const asBoxes = swapXY(anchors);
    expect(values(encodeBoxes(asBoxes, anchors)).every((value) => Math.abs(value) < 1e-6)).toBe(true);
    tf.dispose([anchors, asBoxes]);
  });
});

describe('clipBoxes', () => {
  it('clamps x1, y1 from below and x2, y2 from above only', () => {
    const boxes = tf.tensor2d([
      [-5, -3, 600, 700],
      [520, 530, -10, -20],
      [10, 20, 30, 40],
    ]);
    // Frame 512 high, 640 wide: x2 <= 639, y2 <= 511; x1 may exceed the frame, x2 may be negative.
    expect(values(clipBoxes(boxes, [512, 640]))).toEqual([0, 0, 600, 511, 520, 530, -10, -20, 10, 20, 30, 40]);
    boxes.dispose();
  });
});

describe('pairwiseIou', () => {
  it('matches hand-computed values', () => {
    const a = tf.tensor2d([
      [0, 0, 10, 10],
      [5, 5, 15, 15],
    ]);
    const b = tf.tensor2d([
      [0, 0, 10, 10],
      [5, 0, 15, 10],
      [20, 20, 30, 30],
      [0, 0, 5, 5],
    ]);
    const iou = pairwiseIou(a, b);
    expect(iou.shape).toEqual([2, 4]);
    const expected = [1, 50 / 150, 0, 25 / 100, 25 / 175, 50 / 150, 0, 0];
    values(iou).forEach((value, index) => expect(value).toBeCloseTo(expected[index], 6));
    tf.dispose([a, b]);
  });

  it('gives 0 rather than NaN for empty boxes', () => {
    const empty = tf.tensor2d([[3, 3, 3, 3]]);
    expect(values(pairwiseIou(empty, empty))).toEqual([0]);
    empty.dispose();
  });
});
