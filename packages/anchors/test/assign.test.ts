import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { assignAnchors, decodeBoxes } from '@edet/anchors';

// Four hand-placed anchors ([y1, x1, y2, x2]) and boxes ([x1, y1, x2, y2]) with IoUs worked out by hand.
const anchors = tf.tensor2d(
  [
    [0, 0, 10, 10], // = box A: IoU 1
    [0, 5, 10, 15], // box A overlap 5x10=50, union 150: IoU 1/3 -> negative
    [0, 2, 10, 12], // box A overlap 80, union 120: IoU 2/3 -> positive
    [0, 3, 10, 13], // box A overlap 70, union 130: IoU 0.538 -> positive; box B (x 20..30) 0
  ],
  [4, 4],
);

describe('assignAnchors', () => {
  it('positive >= 0.5, negative < 0.4, ignored between; one-hot classes and encoded deltas', () => {
    const boxes = tf.tensor2d([[0, 0, 10, 10]], [1, 4]);
    const classes = tf.tensor1d([2], 'int32');
    const start = tf.memory().numTensors;
    const targets = assignAnchors(anchors, boxes, classes, { numClasses: 3 });
    expect(Array.from(targets.anchorState.dataSync())).toEqual([1, 0, 1, 1]);
    expect(targets.numPositives.dataSync()[0]).toBe(3);
    expect(Array.from(targets.classTargets.dataSync())).toEqual([0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1]);
    // Decoding the targets of positives gives the box back; the first anchor's deltas are all zero.
    const decoded = tf.tidy(() => decodeBoxes(tf.expandDims(targets.boxTargets, 0), anchors).arraySync() as number[][][]);
    for (const i of [0, 2, 3]) decoded[0][i].forEach((v, k) => expect(v).toBeCloseTo([0, 0, 10, 10][k], 4));
    expect(Array.from(targets.boxTargets.dataSync().slice(0, 8)).every((v) => v === 0)).toBe(true);
    tf.dispose(Object.values(targets));
    expect(tf.memory().numTensors).toBe(start);
  });

  it('an IoU between 0.4 and 0.5 is ignored (-1)', () => {
    // Anchor [0,0,10,10] vs box x 0..10, y 0..22: IoU 100/220 = 0.4545.
    const targets = assignAnchors(tf.tensor2d([[0, 0, 10, 10]]), tf.tensor2d([[0, 0, 10, 22]]), tf.tensor1d([0], 'int32'), { numClasses: 1 });
    expect(Array.from(targets.anchorState.dataSync())).toEqual([-1]);
    expect(targets.numPositives.dataSync()[0]).toBe(0);
  });

  it('an image with no objects makes every anchor negative', () => {
    const targets = assignAnchors(anchors, tf.zeros([0, 4]) as tf.Tensor2D, tf.zeros([0], 'int32') as tf.Tensor1D, { numClasses: 3 });
    expect(Array.from(targets.anchorState.dataSync())).toEqual([0, 0, 0, 0]);
    expect(targets.classTargets.shape).toEqual([4, 3]);
    expect(tf.sum(targets.classTargets).dataSync()[0]).toBe(0);
  });

  it('each box picks its best anchor; matchLowQuality forces a match below the threshold', () => {
    // Box B overlaps anchor 3 ([x 3..13]) by 3x10=30 of union 170: IoU 0.176, below every threshold.
    const boxes = tf.tensor2d([[0, 0, 10, 10], [10, 0, 16, 10]]);
    const classes = tf.tensor1d([0, 1], 'int32');
    const plain = assignAnchors(anchors, boxes, classes, { numClasses: 2 });
    const forced = assignAnchors(anchors, boxes, classes, { numClasses: 2, matchLowQuality: true });
    // Box B = x 10..16: anchor 1 ([5..15]) overlaps 5x10=50, union 100+60-50=110: IoU 0.4545 -> ignored normally.
    expect(Array.from(plain.anchorState.dataSync())).toEqual([1, -1, 1, 1]);
    expect(Array.from(forced.anchorState.dataSync())).toEqual([1, 1, 1, 1]);
    expect(Array.from(forced.classTargets.dataSync().slice(2, 4))).toEqual([0, 1]);
  });
});
