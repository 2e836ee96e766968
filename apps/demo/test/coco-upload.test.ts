import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { readCocoUpload } from '../src/train/coco-upload.js';
import { DEMO_ROOT } from './support/build-demo.js';
import { trainDataErrorOf } from './support/train-data-error.js';

// The Train section's reading of uploaded COCO files: the split, and clear errors for bad input.

const BCCD = JSON.parse(readFileSync(join(DEMO_ROOT, '..', 'trainer', 'assets', 'bccd', 'instances_train.json'), 'utf8'));

/** The first `count` BCCD training images with their annotations, as a COCO file's text, and their names. */
function subset(count: number): { text: string; names: string[]; images: { id: number; file_name: string }[]; annotations: { image_id: number }[] } {
  const images = BCCD.images.slice(0, count);
  const ids = new Set(images.map((image: { id: number }) => image.id));
  const annotations = BCCD.annotations.filter((annotation: { image_id: number }) => ids.has(annotation.image_id));
  return { text: JSON.stringify({ ...BCCD, images, annotations }), names: images.map((image: { file_name: string }) => `images/${image.file_name}`), images, annotations };
}

describe('readCocoUpload', () => {
  it('counts images, boxes and classes and splits them, seeded, into disjoint parts covering every image', () => {
    const { text, names, annotations } = subset(10);
    const dataset = readCocoUpload(text, 'train.json', names, 0.2, 42);
    expect(dataset.classNames).toEqual(['RBC', 'WBC', 'Platelets']);
    expect(dataset.images).toBe(10);
    expect(dataset.annotations).toBe(annotations.length);
    expect(dataset.validation).toHaveLength(2);
    expect(dataset.train).toHaveLength(8);
    const files = [...dataset.train, ...dataset.validation].map((sample) => sample.file).sort();
    expect(files).toEqual(names.map((name) => name.slice('images/'.length)).sort());
    // The same seed gives the same split; another seed another one (for this subset).
    expect(readCocoUpload(text, 'train.json', names, 0.2, 42).validation.map((s) => s.file)).toEqual(dataset.validation.map((s) => s.file));
    const others = [1, 2, 3, 4, 5].map((seed) => readCocoUpload(text, 'train.json', names, 0.2, seed).validation.map((s) => s.file).join());
    expect(others.some((split) => split !== dataset.validation.map((s) => s.file).join())).toBe(true);
  });

  it('keeps one validation image for a small fraction and none for 0', () => {
    const { text, names } = subset(3);
    expect(readCocoUpload(text, 'train.json', names, 0.05, 1).validation).toHaveLength(1);
    expect(readCocoUpload(text, 'train.json', names, 0, 1).validation).toHaveLength(0);
    expect(readCocoUpload(text, 'train.json', names, 0.9, 1).train).toHaveLength(1);
  });

  it('refuses text that is not JSON, JSON that is not COCO, and a bad fraction, naming the argument', () => {
    const { text, names } = subset(2);
    const notJson = trainDataErrorOf(() => readCocoUpload('{"images": [', 'broken.json', names, 0.2, 1));
    expect(notJson.argument).toBe('json');
    expect(notJson.message).toMatch(/^broken\.json: not JSON/);
    const noImages = trainDataErrorOf(() => readCocoUpload(JSON.stringify({ annotations: [], categories: [{ id: 1, name: 'a' }] }), 'x.json', names, 0.2, 1));
    expect(noImages.argument).toBe('json');
    expect(noImages.message).toContain('no "images" array');
    const fraction = trainDataErrorOf(() => readCocoUpload(text, 'train.json', names, 1, 1));
    expect(fraction.argument).toBe('validationFraction');
    expect(fraction.message).toContain('from 0 to below 1, got 1');
  });

  it('refuses an annotation that names no image of the file', () => {
    const { images, annotations, names } = subset(2);
    const text = JSON.stringify({ ...BCCD, images, annotations: [...annotations, { ...annotations[0], id: 99999, image_id: 777 }] });
    const error = trainDataErrorOf(() => readCocoUpload(text, 'train.json', names, 0.2, 1));
    expect(error.argument).toBe('json');
    expect(error.message).toBe('train.json: 1 annotation(s) refer to no image in the file (image id 777)');
  });

  it('refuses images the file lists that were not chosen, naming them', () => {
    const { text, names } = subset(3);
    const error = trainDataErrorOf(() => readCocoUpload(text, 'train.json', names.slice(1), 0.2, 1));
    expect(error.argument).toBe('images');
    expect(error.message).toBe(`images: 1 image(s) that train.json lists were not chosen (${names[0].slice('images/'.length)})`);
  });
});
