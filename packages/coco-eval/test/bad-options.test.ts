import { describe, expect, it } from 'vitest';

import { CocoInputError, categoryMap, evaluateCoco, toCocoDetections, type CocoDataset } from '../src/index.js';

// Options and model outputs of the wrong kind are named, never read loosely (a string 'false' is truthy).
const dataset: CocoDataset = {
  images: [{ id: 1 }],
  categories: [{ id: 1, name: 'a' }],
  annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [0, 0, 10, 10], area: 100, iscrowd: 0 }],
};

describe('evaluateCoco and toCocoDetections: bad options and detections', () => {
  it('evaluateCoco refuses options that are not an object and a useCats that is not a boolean', () => {
    for (const [options, message] of [
      [null, 'options: expected an object such as { useCats: false }, got null'],
      ['false', 'options: expected an object such as { useCats: false }, got "false"'],
      [{ useCats: 'false' }, 'options.useCats: expected true or false, got "false"'],
      [{ useCats: 0 }, 'options.useCats: expected true or false, got 0'],
    ] as [never, string][]) {
      expect(() => evaluateCoco(dataset, [], options)).toThrow(CocoInputError);
      expect(() => evaluateCoco(dataset, [], options)).toThrow(message);
    }
  });

  it('toCocoDetections names a bad image id, box or score', () => {
    const categories = categoryMap(dataset.categories);
    const good = { box: [0, 0, 5, 5], score: 0.5, classId: 0 };
    expect(toCocoDetections([good], 1, categories)).toEqual([{ image_id: 1, category_id: 1, bbox: [0, 0, 5, 5], score: 0.5 }]);
    for (const [detections, imageId, message] of [
      [null, 1, 'detections: expected an array of detections, got null'],
      [[good], NaN, 'imageId: expected a finite number, got NaN'],
      [[good], '1', 'imageId: expected a finite number, got "1"'],
      [[{ ...good, box: [0, 0, NaN, 5] }], 1, 'detections[0].box: expected [x1, y1, x2, y2], 4 finite numbers'],
      [[{ ...good, box: [0, 0, 5] }], 1, 'detections[0].box: expected [x1, y1, x2, y2], 4 finite numbers, got [0,0,5]'],
      [[{ ...good, score: Infinity }], 1, 'detections[0].score: expected a finite number, got Infinity'],
      [[null], 1, 'detections[0].box: expected [x1, y1, x2, y2], 4 finite numbers'],
    ] as [never, never, string][]) {
      expect(() => toCocoDetections(detections, imageId, categories)).toThrow(CocoInputError);
      expect(() => toCocoDetections(detections, imageId, categories)).toThrow(message);
    }
  });
});
