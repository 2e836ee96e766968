import { describe, expect, it } from 'vitest';

import { boxIou } from '../src/box-iou.js';
import { categoryMap } from '../src/category-map.js';
import type { CocoDataset, CocoDetection } from '../src/coco-format.js';
import { evaluateCoco } from '../src/evaluate.js';
import { linspace } from '../src/params.js';
import { descendingScoreOrder, falseFirstOrder } from '../src/score-order.js';
import { STAT_NAMES } from '../src/summarize.js';

// The evaluator's pieces and its API contract; the numbers themselves are checked against pycocotools in
// eval-golden.test.ts.

function dataset(): CocoDataset {
  return {
    images: [{ id: 2 }, { id: 1 }],
    categories: [{ id: 3, name: 'c' }, { id: 1, name: 'a' }],
    annotations: [
      { id: 1, image_id: 1, category_id: 1, bbox: [0, 0, 10, 10], area: 100, iscrowd: 0 },
      { id: 2, image_id: 2, category_id: 3, bbox: [50, 50, 100, 100], area: 10000, iscrowd: 0 },
    ],
  };
}

describe('evaluator pieces', () => {
  it('linspace reproduces numpy, including 0.8999999999999999', () => {
    expect(linspace(0.5, 0.95, 10)[8]).toBe(0.8999999999999999);
    expect(linspace(0, 1, 101)[57]).toBe(0.5700000000000001);
    expect(linspace(0, 1, 101).at(-1)).toBe(1);
  });

  it('boxIou: plain, touching, crowd (overlap over the detection area)', () => {
    const iou = boxIou([[0, 0, 10, 5], [10, 0, 5, 5], [2, 2, 4, 4]], [[0, 0, 10, 10], [0, 0, 100, 100]], [false, true]);
    expect(Array.from(iou)).toEqual([0.5, 1, 0, 1, 16 / 100, 1]);
  });

  it('orders scores stably and puts flagged entries last', () => {
    expect(descendingScoreOrder([0.5, 0.9, 0.5, 0.9])).toEqual([1, 3, 0, 2]);
    expect(falseFirstOrder([true, false, true, false])).toEqual([1, 3, 0, 2]);
  });

  it('maps sorted category ids to class indices', () => {
    const map = categoryMap([{ id: 90, name: 'toothbrush' }, { id: 1, name: 'person' }, { id: 3, name: 'car' }]);
    expect(map.categoryIds).toEqual([1, 3, 90]);
    expect(map.names).toEqual(['person', 'car', 'toothbrush']);
    expect(map.size).toBe(3);
    expect(map.classIndexOf(90)).toBe(2);
    expect(map.categoryIdOf(1)).toBe(3);
    expect(() => map.classIndexOf(2)).toThrow(/categoryId: expected one of 1, 3, 90, got 2/);
    expect(() => map.categoryIdOf(3)).toThrow(/classIndex/);
    expect(() => categoryMap([{ id: 1, name: 'a' }, { id: 1, name: 'b' }])).toThrow(/id 1 twice/);
    expect(() => categoryMap([])).toThrow(/at least one category/);
  });
});

describe('evaluateCoco', () => {
  it('scores perfect detections 1 (per class too), in category-id order, without touching its inputs', () => {
    const groundTruth = dataset();
    const detections: CocoDetection[] = groundTruth.annotations.map((a) => ({ image_id: a.image_id, category_id: a.category_id, bbox: a.bbox, score: 0.9 }));
    const before = JSON.stringify([groundTruth, detections]);
    const result = evaluateCoco(groundTruth, detections);
    expect(JSON.stringify([groundTruth, detections])).toBe(before);
    expect(STAT_NAMES).toEqual(['AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR1', 'AR10', 'AR100', 'ARs', 'ARm', 'ARl']);
    // Small: category 1 only; medium: no ground truth anywhere (-1); large: category 3 only.
    const expected = [1, 1, 1, 1, -1, 1, 1, 1, 1, 1, -1, 1];
    result.stats.forEach((value, index) => expect(value).toBeCloseTo(expected[index], 12));
    expect(result.perClass.map((row) => [row.categoryId, row.name])).toEqual([[1, 'a'], [3, 'c']]);
    expect(result.perClass[0].stats[5]).toBe(-1);
    expect(result.imageIds).toEqual([1, 2]);
    expect(result.shape).toEqual([10, 101, 2, 4, 3]);
    expect(result.precision).toHaveLength(10 * 101 * 2 * 4 * 3);
  });

  it('evaluates an empty results list (pycocotools cannot) as zero', () => {
    expect(evaluateCoco(dataset(), []).stats).toEqual([0, 0, 0, 0, -1, 0, 0, 0, 0, 0, -1, 0]);
  });

  it('has no per-class rows without categories', () => {
    const result = evaluateCoco(dataset(), [], { useCats: false });
    expect(result.perClass).toEqual([]);
    expect(result.shape[2]).toBe(1);
  });

  it('rejects detections of unknown images or categories, and malformed entries', () => {
    const detection = (change: Partial<CocoDetection>): CocoDetection[] => [{ image_id: 1, category_id: 1, bbox: [0, 0, 1, 1], score: 0.5, ...change }];
    expect(() => evaluateCoco(dataset(), detection({ image_id: 7 }))).toThrow('detections[0].image_id: expected an image id of the ground truth, got 7');
    expect(() => evaluateCoco(dataset(), detection({ category_id: 2 }))).toThrow('detections[0].category_id: expected a category id of the ground truth, got 2');
    expect(() => evaluateCoco(dataset(), detection({ score: Number.NaN }))).toThrow(/detections\[0\]\.score: expected a finite number/);
    expect(() => evaluateCoco(dataset(), detection({ bbox: [1, 2, 3] as never }))).toThrow(/detections\[0\]\.bbox/);
  });

  it('rejects ground truth with duplicate ids or dangling references', () => {
    const twice = dataset();
    twice.annotations[1].id = 1;
    expect(() => evaluateCoco(twice, [])).toThrow('groundTruth.annotations[1].id: expected a unique id, got 1 again');
    const dangling = dataset();
    dangling.annotations[0].image_id = 9;
    expect(() => evaluateCoco(dangling, [])).toThrow(/groundTruth\.annotations\[0\]\.image_id/);
    const images = dataset();
    images.images.push({ id: 1 });
    expect(() => evaluateCoco(images, [])).toThrow(/groundTruth\.images\[2\]\.id: expected a unique id/);
  });

  it('uses the box area when an annotation has none', () => {
    const groundTruth = dataset();
    delete groundTruth.annotations[1].area;
    const detections: CocoDetection[] = [{ image_id: 2, category_id: 3, bbox: [50, 50, 100, 100], score: 1 }];
    expect(evaluateCoco(groundTruth, detections).perClass[1].stats[5]).toBeCloseTo(1, 12);
  });
});
