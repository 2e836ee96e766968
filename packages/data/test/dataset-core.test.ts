import type { RgbImage } from '@edet/model';
import { describe, expect, it } from 'vitest';

import { checkCocoInstances, cocoDetectionDataset } from '../src/coco-dataset.js';
import type { Sample } from '../src/dataset.js';
import { DataError } from '../src/errors.js';
import { loadBatch, streamEpoch } from '../src/pipeline.js';
import { parseVocAnnotation } from '../src/voc-annotation.js';
import { XmlError } from '../src/xml.js';

// The isomorphic core with no files: datasets from JSON and XML text, batches from an in-memory image reader.
// Runs in browser mode too.

const COCO = {
  images: [
    { id: 7, file_name: 'a.jpg', width: 64, height: 32 },
    { id: 9, file_name: 'b.jpg', width: 32, height: 64 },
  ],
  categories: [{ id: 5, name: 'cell' }, { id: 2, name: 'platelet' }],
  annotations: [
    { id: 1, image_id: 7, category_id: 5, bbox: [8, 4, 16, 8] },
    { id: 2, image_id: 9, category_id: 2, bbox: [0, 0, 40, 10] },
    { id: 3, image_id: 9, category_id: 2, bbox: [1, 1, 2, 2], iscrowd: 1 },
  ],
};

function cocoDataset() {
  const coco = checkCocoInstances(JSON.parse(JSON.stringify(COCO)), 'mem.json');
  return cocoDetectionDataset(coco, {
    root: 'mem',
    split: 'train',
    annotationSource: 'mem.json',
    displayName: 'mem.json',
    imageLocation: (name) => `https://example.test/${name}`,
  });
}

/** A grey image of the sample's declared size. */
const readImage = async (sample: Sample): Promise<RgbImage> => ({
  data: new Uint8Array(sample.width * sample.height * 3).fill(128),
  width: sample.width,
  height: sample.height,
  channels: 3,
});

describe('datasets without files', () => {
  it('builds a COCO split from parsed JSON: class order by category id, crowd left out, boxes clipped', () => {
    const dataset = cocoDataset();
    expect(dataset.classNames).toEqual(['platelet', 'cell']);
    expect(dataset.categoryIds).toEqual([2, 5]);
    expect(dataset.samples.map((sample) => sample.file)).toEqual(['https://example.test/a.jpg', 'https://example.test/b.jpg']);
    expect(dataset.samples[0].boxes).toEqual([[8, 4, 24, 12, 1]]);
    expect(dataset.samples[1].boxes).toEqual([[0, 0, 32, 10, 0]]);
    expect(dataset.issues).toHaveLength(1);
    expect(dataset.notes).toEqual(['left out 1 crowd region (iscrowd=1)']);
  });

  it('names the file and what is missing, with its own error class', () => {
    expect(() => checkCocoInstances({ images: [] }, 'x.json')).toThrow(DataError);
    expect(() => checkCocoInstances({ images: [] }, 'x.json')).toThrow('x.json: not a COCO detection file (no "annotations" array)');
    const duplicate = { ...COCO, categories: [{ id: 1, name: 'a' }, { id: 1, name: 'b' }] };
    expect(() => cocoDetectionDataset(duplicate, { root: '', split: '', annotationSource: '', displayName: 'd.json', imageLocation: String })).toThrow(
      /^d\.json: categories: expected unique category ids, got id 1 twice$/,
    );
  });

  it('parses VOC annotation text', () => {
    const xml = '<annotation><filename>c.jpg</filename><size><width>40</width><height>30</height></size>' +
      '<object><name>RBC</name><difficult>0</difficult><bndbox><xmin>1</xmin><ymin>2</ymin><xmax>11</xmax><ymax>12</ymax></bndbox></object></annotation>';
    expect(parseVocAnnotation(xml)).toEqual({ filename: 'c.jpg', width: 40, height: 30, objects: [{ name: 'RBC', difficult: false, box: [1, 2, 11, 12] }] });
    expect(() => parseVocAnnotation('<other/>')).toThrow(DataError);
    expect(() => parseVocAnnotation('<annotation>')).toThrow(XmlError);
  });
});

describe('batches from an image reader', () => {
  it('letterboxes each image and maps its boxes, the same on every pass', async () => {
    const { samples } = cocoDataset();
    const options = { size: 32, batchSize: 2, seed: 3, augment: true, shuffle: true, dropLast: false, readImage };
    const first = [];
    for await (const batch of streamEpoch(samples, 0, 0, options)) first.push(batch);
    expect(first).toHaveLength(1);
    expect(first[0].pixels).toHaveLength(2 * 32 * 32 * 3);
    const again = await loadBatch(samples, first[0].samples.map((sample) => samples.indexOf(sample)), 0, 0, options);
    expect(again.boxes).toEqual(first[0].boxes);
    expect(Array.from(again.pixels)).toEqual(Array.from(first[0].pixels));
    const plain = await loadBatch(samples, [0], 0, 0, { ...options, augment: false });
    expect(plain.placements[0]).toMatchObject({ resizedWidth: 32, resizedHeight: 16, offsetX: 0, offsetY: 0 });
    expect(plain.boxes[0]).toEqual([[4, 2, 12, 6, 1]]);
  });
});
