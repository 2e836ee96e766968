import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { checkBox, summarizeIssues } from '../src/boxes.js';
import type { AnnotationIssue } from '../src/dataset.js';
import { DataError } from '../src/errors.js';
import { loadCocoDataset } from '../src/node/coco.js';
import { detectFormat, loadDatasetSplits } from '../src/node/load.js';
import { BUNDLED_DATASET, temporaryFolder, tinyCocoDataset } from './support/datasets.js';

describe('checkBox', () => {
  it('keeps a good box, clips one crossing the border, drops degenerate and outside ones', () => {
    const issues: AnnotationIssue[] = [];
    expect(checkBox({ x1: 1, y1: 2, x2: 30, y2: 40, classId: 2 }, 100, 50, 'a.jpg', issues)).toEqual([1, 2, 30, 40, 2]);
    expect(checkBox({ x1: -5, y1: 10, x2: 20, y2: 60, classId: 0 }, 100, 50, 'b.jpg', issues)).toEqual([0, 10, 20, 50, 0]);
    expect(checkBox({ x1: 7, y1: 7, x2: 7, y2: 9, classId: 0 }, 100, 50, 'c.jpg', issues)).toBeUndefined();
    expect(checkBox({ x1: 9, y1: 7, x2: 3, y2: 9, classId: 0 }, 100, 50, 'd.jpg', issues)).toBeUndefined();
    expect(checkBox({ x1: 120, y1: 7, x2: 130, y2: 9, classId: 0 }, 100, 50, 'e.jpg', issues)).toBeUndefined();
    expect(checkBox({ x1: NaN, y1: 7, x2: 30, y2: 9, classId: 0 }, 100, 50, 'f.jpg', issues)).toBeUndefined();
    expect(issues.map((i) => `${i.image} ${i.action}`)).toEqual(['b.jpg clipped', 'c.jpg dropped', 'd.jpg dropped', 'e.jpg dropped', 'f.jpg dropped']);
    expect(summarizeIssues(issues)).toEqual([
      'dropped 4 boxes: c.jpg zero or negative size [7,7,7,9]; d.jpg zero or negative size [9,7,3,9]; e.jpg outside the 100x50 image [120,7,130,9]; and 1 more',
      'clipped 1 box: b.jpg crosses the 100x50 image border [-5,10,20,60]',
    ]);
  });
});

describe('COCO datasets', () => {
  it('loads the bundled BCCD: [x, y, w, h] becomes [x1, y1, x2, y2, class], categories sorted by id', () => {
    const train = loadCocoDataset(BUNDLED_DATASET, 'train');
    expect(train.classNames).toEqual(['RBC', 'WBC', 'Platelets']);
    expect(train.categoryIds).toEqual([1, 2, 3]);
    expect(train.samples).toHaveLength(292);
    expect(train.samples.reduce((n, s) => n + s.boxes.length, 0)).toBe(3922);
    // First annotation of the file: WBC bbox [260, 177, 231, 199].
    expect(train.samples[0]).toMatchObject({ name: 'BloodImage_00000.jpg', width: 640, height: 480, imageId: 1 });
    expect(train.samples[0].boxes[0]).toEqual([260, 177, 491, 376, 1]);
    expect(train.issues).toEqual([]);
    const { val } = loadDatasetSplits({ data: BUNDLED_DATASET, split: 'train', valSplit: 'val' });
    expect(val!.samples).toHaveLength(72);
  });

  it('reports and drops bad boxes, unknown categories and crowd regions, never throwing', () => {
    const root = tinyCocoDataset(1, 0);
    const file = join(root, 'instances_train.json');
    const image = { id: 7, file_name: 'BloodImage_00000.jpg', width: 640, height: 480 };
    writeFileSync(
      file,
      JSON.stringify({
        images: [image],
        categories: [
          { id: 9, name: 'b' },
          { id: 3, name: 'a' },
        ],
        annotations: [
          { id: 1, image_id: 7, category_id: 3, bbox: [10, 20, 30, 40] },
          { id: 2, image_id: 7, category_id: 9, bbox: [630, 470, 20, 20] },
          { id: 3, image_id: 7, category_id: 9, bbox: [100, 100, 0, 10] },
          { id: 4, image_id: 7, category_id: 5, bbox: [1, 1, 5, 5] },
          { id: 5, image_id: 7, category_id: 3, bbox: [1, 1, 50, 50], iscrowd: 1 },
          { id: 6, image_id: 99, category_id: 3, bbox: [1, 1, 5, 5] },
        ],
      }),
    );
    const dataset = loadCocoDataset(root, 'train');
    expect(dataset.classNames).toEqual(['a', 'b']);
    expect(dataset.samples[0].boxes).toEqual([
      [10, 20, 40, 60, 0],
      [630, 470, 640, 480, 1],
    ]);
    expect(summarizeIssues(dataset.issues)).toEqual([
      'dropped 3 boxes: BloodImage_00000.jpg zero or negative size [100,100,100,110]; BloodImage_00000.jpg unknown category id 5; image id 99 refers to no image in the file',
      'clipped 1 box: BloodImage_00000.jpg crosses the 640x480 image border [630,470,650,490]',
    ]);
    expect(dataset.notes).toEqual(['left out 1 crowd region (iscrowd=1)']);
  });

  it('fails with one line for a missing folder, a folder that is no dataset, bad JSON or missing images', () => {
    const missing = join(temporaryFolder(), 'nope');
    expect(() => loadDatasetSplits({ data: missing, split: 'train' })).toThrow(DataError);
    expect(() => loadDatasetSplits({ data: missing, split: 'train' })).toThrow(/^dataset .*nope does not exist$/);
    const empty = temporaryFolder();
    expect(() => detectFormat(empty, 'train')).toThrow(/not a dataset \(expected instances_train\.json or annotations\/instances_train\.json for COCO, or Annotations\/ \+ JPEGImages\/ for VOC\)/);

    const broken = temporaryFolder();
    writeFileSync(join(broken, 'instances_train.json'), '{"images": [');
    expect(() => loadDatasetSplits({ data: broken, split: 'train' })).toThrow(/instances_train\.json: not a readable JSON file/);
    writeFileSync(join(broken, 'instances_train.json'), '{"images": []}');
    expect(() => loadDatasetSplits({ data: broken, split: 'train' })).toThrow(/not a COCO detection file \(no "annotations" array\)/);

    const noImages = tinyCocoDataset(2, 0);
    mkdirSync(join(noImages, 'other'));
    writeFileSync(
      join(noImages, 'instances_train.json'),
      JSON.stringify({ images: [{ id: 1, file_name: 'gone.jpg', width: 5, height: 5 }], annotations: [], categories: [{ id: 1, name: 'x' }] }),
    );
    expect(() => loadDatasetSplits({ data: noImages, split: 'train' })).toThrow(/1 of 1 images not found in .*images \(gone\.jpg\)/);
  });

  it('runs without a validation split when the dataset has none', () => {
    const { train, val } = loadDatasetSplits({ data: tinyCocoDataset(2, 0), split: 'train', valSplit: 'val' });
    expect(train.samples).toHaveLength(2);
    expect(val).toBeUndefined();
  });
});
