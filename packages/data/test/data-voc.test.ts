import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { DataError } from '../src/errors.js';
import { loadCocoDataset } from '../src/node/coco.js';
import { detectFormat, loadDatasetSplits } from '../src/node/load.js';
import { loadVocDataset } from '../src/node/voc.js';
import { parseVocAnnotation } from '../src/voc-annotation.js';
import { XmlError, childText, parseXml } from '../src/xml.js';
import { BUNDLED_DATASET, temporaryFolder } from './support/datasets.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'voc-bccd', 'Annotations');
const XML_NAMES = readdirSync(FIXTURES).sort();

/** A VOC folder from the fixture XMLs and the bundled BCCD images, with `ImageSets/Main` split files if given. */
function vocFolder(splits: Record<string, string[]> = {}): string {
  const root = temporaryFolder('edet-voc-');
  mkdirSync(join(root, 'Annotations'));
  mkdirSync(join(root, 'JPEGImages'));
  for (const name of XML_NAMES) {
    copyFileSync(join(FIXTURES, name), join(root, 'Annotations', name));
    const image = name.replace(/\.xml$/, '.jpg');
    copyFileSync(join(BUNDLED_DATASET, 'images', image), join(root, 'JPEGImages', image));
  }
  if (Object.keys(splits).length > 0) {
    mkdirSync(join(root, 'ImageSets', 'Main'), { recursive: true });
    for (const [split, ids] of Object.entries(splits)) writeFileSync(join(root, 'ImageSets', 'Main', `${split}.txt`), `${ids.join('\n')}\n`);
  }
  return root;
}

describe('parseXml', () => {
  it('reads elements, attributes, text, entities, CDATA, comments and self-closing tags', () => {
    const root = parseXml(
      `<?xml version="1.0"?>\n<!DOCTYPE a>\n<!-- c --><a x="1" y='&lt;2&gt;'><b>R&amp;D &#65;&#x42;</b><c/><d><![CDATA[<raw>]]></d></a>`,
    );
    expect(root.name).toBe('a');
    expect(root.attributes).toEqual({ x: '1', y: '<2>' });
    expect(root.children.map((child) => child.name)).toEqual(['b', 'c', 'd']);
    expect(childText(root, 'b')).toBe('R&D AB');
    expect(childText(root, 'c')).toBe('');
    expect(childText(root, 'd')).toBe('<raw>');
  });

  it('names the line of malformed XML', () => {
    expect(() => parseXml('<a>\n<b></a>')).toThrow(XmlError);
    expect(() => parseXml('<a>\n<b></a>')).toThrow(/<\/a> does not match <b> \(line 2\)/);
    expect(() => parseXml('<a><b></b>')).toThrow(/<a> is never closed/);
    expect(() => parseXml('')).toThrow(/no root element/);
  });
});

describe('VOC annotations', () => {
  it('parses the BCCD XML: file name, size and every object with its box', () => {
    const annotation = parseVocAnnotation(readFileSync(join(FIXTURES, 'BloodImage_00000.xml'), 'utf8'));
    expect(annotation).toMatchObject({ filename: 'BloodImage_00000.jpg', width: 640, height: 480 });
    expect(annotation.objects).toHaveLength(20);
    expect(annotation.objects[0]).toEqual({ name: 'WBC', difficult: false, box: [260, 177, 491, 376] });
    expect(annotation.objects[1]).toEqual({ name: 'RBC', difficult: false, box: [78, 336, 184, 435] });
  });

  it('gives the same boxes as the COCO conversion of the same images (class order aside)', () => {
    const voc = loadVocDataset(vocFolder(), 'train');
    expect(voc.classNames).toEqual(['Platelets', 'RBC', 'WBC']);
    const coco = [...loadCocoDataset(BUNDLED_DATASET, 'train').samples, ...loadCocoDataset(BUNDLED_DATASET, 'val').samples];
    const toCoco = [2, 0, 1]; // Platelets, RBC, WBC -> COCO's RBC 0, WBC 1, Platelets 2
    expect(voc.samples.map((s) => s.name)).toEqual(['BloodImage_00000.jpg', 'BloodImage_00001.jpg', 'BloodImage_00004.jpg']);
    for (const sample of voc.samples) {
      const expected = coco.find((s) => s.name === sample.name)!;
      const boxes = sample.boxes.map(([x1, y1, x2, y2, c]) => [x1, y1, x2, y2, toCoco[c]].join()).sort();
      expect(boxes).toEqual(expected.boxes.map((b) => b.join()).sort());
    }
    expect(voc.groundTruth.annotations).toHaveLength(20 + 19 + 13);
  });

  it('uses ImageSets/Main/<split>.txt when present, and shares the class list across splits', () => {
    const root = vocFolder({ train: ['BloodImage_00000', 'BloodImage_00001'], val: ['BloodImage_00004'] });
    expect(detectFormat(root, 'train')).toBe('voc');
    const { train, val, format } = loadDatasetSplits({ data: root, split: 'train', valSplit: 'val' });
    expect(format).toBe('voc');
    expect(train.samples.map((s) => s.name)).toEqual(['BloodImage_00000.jpg', 'BloodImage_00001.jpg']);
    expect(val!.samples.map((s) => s.name)).toEqual(['BloodImage_00004.jpg']);
    expect(val!.classNames).toEqual(train.classNames);
  });

  it('leaves out difficult objects, drops degenerate boxes and clips crossing ones, naming the image', () => {
    const root = vocFolder();
    const xml = (objects: string) =>
      `<annotation><filename>BloodImage_00000.jpg</filename><size><width>640</width><height>480</height></size>${objects}</annotation>`;
    const object = (name: string, box: number[], difficult = 0) =>
      `<object><name>${name}</name><difficult>${difficult}</difficult><bndbox><xmin>${box[0]}</xmin><ymin>${box[1]}</ymin><xmax>${box[2]}</xmax><ymax>${box[3]}</ymax></bndbox></object>`;
    writeFileSync(
      join(root, 'Annotations', 'BloodImage_00000.xml'),
      xml(object('RBC', [10, 10, 50, 50]) + object('RBC', [5, 5, 5, 5]) + object('WBC', [600, 400, 700, 500]) + object('RBC', [1, 1, 20, 20], 1)),
    );
    const dataset = loadVocDataset(root, 'train');
    const sample = dataset.samples.find((s) => s.name === 'BloodImage_00000.jpg')!;
    expect(sample.boxes).toEqual([
      [10, 10, 50, 50, 1],
      [600, 400, 640, 480, 2],
    ]);
    expect(dataset.issues).toEqual([
      { image: 'BloodImage_00000.jpg', action: 'dropped', reason: 'zero or negative size [5,5,5,5]' },
      { image: 'BloodImage_00000.jpg', action: 'clipped', reason: 'crosses the 640x480 image border [600,400,700,500]' },
    ]);
    expect(dataset.notes).toEqual(['left out 1 object marked difficult']);
  });

  it('fails with one line for a missing image, a bad split entry or malformed XML', () => {
    const noImage = vocFolder();
    writeFileSync(join(noImage, 'Annotations', 'Extra.xml'), '<annotation><filename>Extra.jpg</filename></annotation>');
    expect(() => loadVocDataset(noImage, 'train')).toThrow(DataError);
    expect(() => loadVocDataset(noImage, 'train')).toThrow(/1 of 4 images not found in .*JPEGImages \(Extra\.jpg\)/);

    const badSplit = vocFolder({ train: ['BloodImage_00000', 'Nope'] });
    expect(() => loadVocDataset(badSplit, 'train')).toThrow(/train\.txt: 1 listed images have no Annotations\/<id>\.xml \(Nope\)/);

    const malformed = vocFolder();
    writeFileSync(join(malformed, 'Annotations', 'BloodImage_00001.xml'), '<annotation><object></annotation>');
    expect(() => loadVocDataset(malformed, 'train')).toThrow(/BloodImage_00001\.xml: not a VOC annotation \(closing tag <\/annotation> does not match <object>/);
  });
});
