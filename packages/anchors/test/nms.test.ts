import { describe, expect, it } from 'vitest';

import { boxIou, nms } from '@edet/anchors';

// Box 1 lies inside box 0 (IoU 81/100); box 2 overlaps box 0 with IoU 50/150 and box 1 with 45/136; box 3 is far away.
const boxes = [
  [0, 0, 10, 10],
  [1, 1, 10, 10],
  [0, 5, 10, 15],
  [50, 50, 60, 60],
];

describe('boxIou', () => {
  it('matches hand values (no +1)', () => {
    const flat = boxes.flat();
    expect(boxIou(flat, 0, 1)).toBeCloseTo(81 / 100, 12);
    expect(boxIou(flat, 0, 2)).toBeCloseTo(50 / 150, 12);
    expect(boxIou(flat, 0, 3)).toBe(0);
    expect(boxIou([1, 1, 1, 1, 1, 1, 1, 1], 0, 1)).toBe(0);
  });
});

describe('nms', () => {
  const scores = [0.9, 0.8, 0.7, 0.6];

  it('per-class: suppresses IoU > threshold within a class only', () => {
    // 0 and 1 same class: IoU 0.81 -> 1 suppressed; 2 overlaps 0 at 0.33 > 0.2 -> suppressed.
    expect(nms(boxes, scores, [0, 0, 0, 0], { iouThreshold: 0.2 })).toEqual({ indices: [0, 3], scores: [0.9, 0.6] });
    // Box 1 in another class survives next to box 0.
    expect(nms(boxes, scores, [0, 1, 0, 0], { iouThreshold: 0.2 }).indices).toEqual([0, 1, 3]);
    // IoU exactly at the threshold is not suppressed (strictly greater suppresses).
    expect(nms(boxes, scores, [0, 1, 0, 0], { iouThreshold: 50 / 150 }).indices).toEqual([0, 1, 2, 3]);
  });

  it('is greedy: a suppressed box suppresses nothing', () => {
    // a-b IoU 0.5, b-c IoU 0.5, a-c 0: b goes, so c stays.
    const chain = new Float32Array([0, 0, 10, 10, 0, 0, 10, 20, 0, 10, 10, 20]);
    expect(nms(chain, [0.9, 0.8, 0.7], null, { iouThreshold: 0.3 }).indices).toEqual([0, 2]);
  });

  it('agnostic: classes do not protect overlapping boxes', () => {
    expect(nms(boxes, scores, [0, 1, 2, 3], { mode: 'agnostic', iouThreshold: 0.2 }).indices).toEqual([0, 3]);
  });

  it('orders by descending score, lower index first on ties, and caps after NMS', () => {
    const apart = [
      [0, 0, 1, 1],
      [10, 10, 11, 11],
      [20, 20, 21, 21],
      [30, 30, 31, 31],
    ];
    expect(nms(apart, [0.5, 0.9, 0.5, 0.7]).indices).toEqual([1, 3, 0, 2]);
    expect(nms(apart, [0.5, 0.9, 0.5, 0.7], null, { maxDetections: 2 }).indices).toEqual([1, 3]);
    // The cap counts survivors, not candidates: box 1 is suppressed, so 0 and 2 remain.
    const withFar = boxes.slice(0, 3).concat([[0, 20, 10, 30]]);
    expect(nms(withFar, scores, null, { maxDetections: 2 }).indices).toEqual([0, 3]);
  });

  it('applies the score threshold strictly', () => {
    expect(nms(boxes, scores, null, { scoreThreshold: 0.6, iouThreshold: 0.9 }).indices).toEqual([0, 1, 2]);
  });

  it('soft: decays overlapping scores by exp(-iou^2 / sigma) within a class', () => {
    const result = nms(boxes, scores, [0, 0, 1, 0], { mode: 'soft', softNmsSigma: 0.5, scoreThreshold: 0.05 });
    const decayed1 = 0.8 * Math.exp(-(0.81 ** 2) / 0.5);
    expect(result.indices).toEqual([0, 2, 3, 1]);
    expect(result.scores[0]).toBe(0.9);
    expect(result.scores[1]).toBe(0.7); // class 1 alone: untouched
    expect(result.scores[2]).toBe(0.6); // no overlap with 0 or 1
    expect(result.scores[3]).toBeCloseTo(decayed1, 12);
  });

  it('soft: drops boxes that decay to the threshold or below', () => {
    const classes = [0, 0, 1, 0];
    const decayed1 = 0.8 * Math.exp(-(0.81 * 0.81) / 0.5); // about 0.215
    expect(nms(boxes, scores, classes, { mode: 'soft', scoreThreshold: 0.3 }).indices).toEqual([0, 2, 3]);
    expect(nms(boxes, scores, classes, { mode: 'soft', scoreThreshold: decayed1 - 1e-9 }).indices).toContain(1);
    expect(nms(boxes, scores, classes, { mode: 'soft', scoreThreshold: decayed1 + 1e-9 }).indices).not.toContain(1);
  });

  it('soft: re-ranks by the decayed score', () => {
    // One class: box 2 (0.7) decays to 0.7 * exp(-(1/9) / 0.5) = 0.56 and falls below box 3 (0.6);
    // box 1 decays twice, by box 0 and then by box 2.
    const result = nms(boxes, scores, null, { mode: 'soft' });
    expect(result.indices).toEqual([0, 3, 2, 1]);
    expect(result.scores[2]).toBeCloseTo(0.7 * Math.exp(-(1 / 9) / 0.5), 12);
    const after0 = 0.8 * Math.exp(-(0.81 * 0.81) / 0.5);
    expect(result.scores[3]).toBeCloseTo(after0 * Math.exp(-((45 / 136) ** 2) / 0.5), 12);
  });

  it('validates its arguments', () => {
    expect(() => nms([0, 0, 1], [1])).toThrow(/boxes/);
    expect(() => nms(boxes, scores, [0])).toThrow(/classes/);
    expect(() => nms(boxes, scores, null, { mode: 'soft', softNmsSigma: 0 })).toThrow(/softNmsSigma/);
  });
});
