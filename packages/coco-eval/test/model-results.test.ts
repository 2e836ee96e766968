import { describe, expect, it } from 'vitest';

import { categoryMap } from '../src/category-map.js';
import { CocoEvalError, CocoInputError } from '../src/errors.js';
import { evaluateCoco } from '../src/evaluate.js';
import { toCocoDetections } from '../src/to-coco-detections.js';

// Model outputs to COCO results, and the package's own error classes.

describe('toCocoDetections', () => {
  const categories = categoryMap([{ id: 7, name: 'b' }, { id: 2, name: 'a' }]);

  it('writes corner boxes as [x, y, width, height] and class indices as category ids', () => {
    const results = toCocoDetections(
      [
        { box: [10, 20, 30, 60], score: 0.9, classId: 1 },
        { box: [0, 0, 5, 5], score: 0.2, classId: 0 },
      ],
      42,
      categories,
    );
    expect(results).toEqual([
      { image_id: 42, category_id: 7, bbox: [10, 20, 20, 40], score: 0.9 },
      { image_id: 42, category_id: 2, bbox: [0, 0, 5, 5], score: 0.2 },
    ]);
  });

  it('gives results the evaluator scores as perfect', () => {
    const groundTruth = {
      images: [{ id: 42 }],
      categories: [{ id: 2, name: 'a' }, { id: 7, name: 'b' }],
      annotations: [{ id: 1, image_id: 42, category_id: 7, bbox: [10, 20, 200, 400] as [number, number, number, number] }],
    };
    const results = toCocoDetections([{ box: [10, 20, 210, 420], score: 1, classId: 1 }], 42, categories);
    expect(evaluateCoco(groundTruth, results).stats[0]).toBeCloseTo(1, 12);
  });

  it('throws its own typed error for a class index the map does not have', () => {
    const attempt = () => toCocoDetections([{ box: [0, 0, 1, 1], score: 1, classId: 2 }], 1, categories);
    expect(attempt).toThrow(CocoInputError);
    expect(attempt).toThrow(CocoEvalError);
    expect(attempt).toThrow(/classIndex: expected an integer from 0 to 1, got 2/);
  });
});
