import { describe, expect, it } from 'vitest';

import { type LabelledImage, classesInUse, labelsToCoco } from '../src/label/coco-labels.js';
import { readCocoUpload } from '../src/train/coco-upload.js';
import { trainDataErrorOf } from './support/train-data-error.js';

// The boxes drawn in the page as a COCO instances file: ids, categories in first-use order, bbox and area
// as drawn, clear errors for what cannot be written, and a file the Train section's reader takes.

const box = (x: number, y: number, width: number, height: number) => ({ x, y, width, height });

const LABELLED: LabelledImage[] = [
  {
    fileName: 'a.jpg',
    width: 640,
    height: 480,
    boxes: [
      { box: box(10, 20, 30.5, 40), className: 'WBC' },
      { box: box(100, 120, 50, 60.25), className: ' RBC ' },
    ],
  },
  { fileName: 'empty.png', width: 320, height: 200, boxes: [] },
  { fileName: 'b.jpg', width: 800, height: 600, boxes: [{ box: box(0, 0, 800, 600), className: 'RBC' }, { box: box(5, 6, 7, 8), className: 'Platelets' }] },
];

describe('labelsToCoco', () => {
  it('writes images, categories in first-use order and one annotation per box, as drawn', () => {
    expect(labelsToCoco(LABELLED)).toEqual({
      info: { description: 'boxes drawn in the edet demo' },
      images: [
        { id: 1, file_name: 'a.jpg', width: 640, height: 480 },
        { id: 2, file_name: 'empty.png', width: 320, height: 200 },
        { id: 3, file_name: 'b.jpg', width: 800, height: 600 },
      ],
      categories: [
        { id: 1, name: 'WBC' },
        { id: 2, name: 'RBC' },
        { id: 3, name: 'Platelets' },
      ],
      annotations: [
        { id: 1, image_id: 1, category_id: 1, bbox: [10, 20, 30.5, 40], area: 1220, iscrowd: 0 },
        { id: 2, image_id: 1, category_id: 2, bbox: [100, 120, 50, 60.25], area: 3012.5, iscrowd: 0 },
        { id: 3, image_id: 3, category_id: 2, bbox: [0, 0, 800, 600], area: 480000, iscrowd: 0 },
        { id: 4, image_id: 3, category_id: 3, bbox: [5, 6, 7, 8], area: 56, iscrowd: 0 },
      ],
    });
    expect(classesInUse(LABELLED)).toEqual(['WBC', 'RBC', 'Platelets']);
  });

  it('gives a file the Train section reads back to the same boxes and classes', () => {
    const text = JSON.stringify(labelsToCoco(LABELLED));
    const dataset = readCocoUpload(text, 'labels.json', ['a.jpg', 'empty.png', 'b.jpg'], 0, 1);
    expect(dataset.classNames).toEqual(['WBC', 'RBC', 'Platelets']);
    // The image without boxes has nothing to train on.
    expect(dataset.images).toBe(2);
    expect(dataset.train.map((sample) => [sample.file, sample.width, sample.height, sample.boxes])).toEqual([
      ['a.jpg', 640, 480, [[10, 20, 40.5, 60, 0], [100, 120, 150, 180.25, 1]]],
      ['b.jpg', 800, 600, [[0, 0, 800, 600, 1], [5, 6, 12, 14, 2]]],
    ]);
  });

  it('refuses an empty list and a list without boxes, naming labels', () => {
    expect(trainDataErrorOf(() => labelsToCoco([])).message).toBe('labels: no images yet: add images and draw boxes on them first');
    const error = trainDataErrorOf(() => labelsToCoco([{ fileName: 'a.jpg', width: 10, height: 10, boxes: [] }]));
    expect(error.argument).toBe('labels');
    expect(error.message).toBe('labels: no boxes yet: draw at least one box first');
  });

  it('names each box without a class, outside its image or too small, and a file listed twice', () => {
    const bad: LabelledImage[] = [
      { fileName: 'a.jpg', width: 100, height: 50, boxes: [{ box: box(1, 1, 5, 5), className: '  ' }, { box: box(90, 10, 20, 5), className: 'x' }] },
      { fileName: 'a.jpg', width: 100, height: 50, boxes: [{ box: box(1, 1, 0.5, 5), className: 'x' }, { box: box(Number.NaN, 1, 5, 5), className: 'x' }] },
    ];
    const error = trainDataErrorOf(() => labelsToCoco(bad));
    expect(error.argument).toBe('labels');
    expect(error.message).toBe(
      'labels: 5 problem(s): a.jpg box 1: no class, a.jpg box 2: [90, 10, 20, 5] is not inside the 100x50 image, ' +
        'a.jpg: listed twice (file names must be unique) and 2 more',
    );
    expect(trainDataErrorOf(() => labelsToCoco([{ fileName: 'c.jpg', width: 0, height: 5, boxes: [{ box: box(0, 0, 1, 1), className: 'x' }] }])).message).toBe(
      'labels: 1 problem(s): c.jpg: size 0x5 is not whole positive pixels',
    );
    expect(trainDataErrorOf(() => labelsToCoco([bad[1]])).message).toBe(
      'labels: 2 problem(s): a.jpg box 1: 0.5x5 is smaller than 1 pixel, a.jpg box 2: [NaN, 1, 5, 5] is not inside the 100x50 image',
    );
  });
});
