import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';

import { TrainDataError, readCocoUpload } from '../src/train/coco-upload.js';
import { readUpload } from '../src/train/read-upload.js';
import { DEMO_ROOT } from './support/build-demo.js';
import { asyncTrainDataErrorOf } from './support/train-data-error.js';

// The Train section's file reading: COCO or Pascal VOC annotations with their images, chosen as files or
// inside zips, and a clear error naming what is wrong. The images themselves are not decoded here (the
// worker does that), so small stand-in bytes do.

const VOC = join(DEMO_ROOT, '..', '..', 'packages', 'data', 'test', 'fixtures', 'voc-bccd', 'Annotations');
const BCCD_JSON = join(DEMO_ROOT, '..', 'trainer', 'assets', 'bccd', 'instances_train.json');

const file = (name: string, text = 'image bytes') => new File([text], name);
const vocFiles = () => readdirSync(VOC).map((name) => file(name, readFileSync(join(VOC, name), 'utf8')));
const vocImages = () => readdirSync(VOC).map((name) => file(name.replace('.xml', '.jpg')));

/** The objects of a VOC file, read with a regular expression (independent of the XML parser under test). */
function objectsOf(xml: string): { name: string; box: number[] }[] {
  return [...xml.matchAll(/<name>(\w+)<\/name>[\s\S]*?<xmin>(\d+)<\/xmin>\s*<ymin>(\d+)<\/ymin>\s*<xmax>(\d+)<\/xmax>\s*<ymax>(\d+)<\/ymax>/g)].map(
    (match) => ({ name: match[1], box: match.slice(2, 6).map(Number) }),
  );
}

describe('readUpload', () => {
  it('reads Pascal VOC files: classes sorted, every box as written, images found by <filename>', async () => {
    const { dataset, format } = await readUpload([...vocFiles(), ...vocImages()], 0, 42);
    expect(format).toBe('voc');
    const xmls = vocFiles();
    const names = [...new Set(await Promise.all(xmls.map(async (xml) => objectsOf(await xml.text()).map((o) => o.name)))).values()].flat();
    expect(dataset.classNames).toEqual([...new Set(names)].sort());
    expect(dataset.validation).toEqual([]);
    expect(dataset.train.map((sample) => sample.file)).toEqual(xmls.map((xml) => xml.name.replace('.xml', '.jpg')).sort());
    for (const sample of dataset.train) {
      const expected = objectsOf(await xmls.find((xml) => xml.name === sample.file.replace('.jpg', '.xml'))!.text());
      expect(sample.boxes.map(([x1, y1, x2, y2, classId]) => ({ name: dataset.classNames[classId], box: [x1, y1, x2, y2] }))).toEqual(expected);
    }
    expect(dataset.annotations).toBe(dataset.train.reduce((sum, sample) => sum + sample.boxes.length, 0));
  });

  it('opens zips (folders flattened, macOS resource forks left out) and reads them as the same files chosen loose', async () => {
    const coco = readFileSync(BCCD_JSON, 'utf8');
    const json = JSON.parse(coco);
    const imageNames: string[] = json.images.map((image: { file_name: string }) => image.file_name);
    const zipped = zipSync({
      'bccd/instances_train.json': new TextEncoder().encode(coco),
      'bccd/images/': new Uint8Array(0),
      ...Object.fromEntries(imageNames.map((name) => [`bccd/images/${name}`, new TextEncoder().encode(name)])),
      '__MACOSX/bccd/._instances_train.json': new Uint8Array(4),
      'bccd/._other.json': new Uint8Array(4),
    });
    const read = await readUpload([new File([zipped], 'bccd.zip')], 0.25, 7);
    expect(read.format).toBe('coco');
    expect(read.dataset).toEqual(readCocoUpload(coco, 'instances_train.json', imageNames, 0.25, 7));
    expect(read.files.map((entry) => entry.name).sort()).toEqual([...imageNames, 'instances_train.json'].sort());
    const inside = read.files.find((entry) => entry.name === imageNames[3])!;
    expect(await inside.text()).toBe(imageNames[3]);
    // Zips and loose files mix.
    const mixed = await readUpload([new File([zipSync({ 'a/ann.json': new TextEncoder().encode(coco) })], 'ann.zip'), ...imageNames.map((name) => file(name))], 0.25, 7);
    expect(mixed.dataset).toEqual(read.dataset);
  });

  it('names the argument and what was expected for files it cannot use', async () => {
    const coco = readFileSync(BCCD_JSON, 'utf8');
    const none = await asyncTrainDataErrorOf(() => readUpload([file('a.jpg')], 0.2, 1));
    expect(none).toMatchObject({ argument: 'files', message: 'files: expected a COCO .json file or Pascal VOC .xml files with the images (or a .zip of them), found neither' });
    const two = await asyncTrainDataErrorOf(() => readUpload([file('a.json', coco), file('b.json', coco)], 0.2, 1));
    expect(two).toMatchObject({ argument: 'files', message: 'files: expected one COCO .json file, found 2 (a.json, b.json)' });
    const broken = await asyncTrainDataErrorOf(() => readUpload([file('data.zip', 'PK not really a zip')], 0.2, 1));
    expect(broken.argument).toBe('zip');
    expect(broken.message).toMatch(/^data\.zip: not a readable zip \(.+\)$/);
    const badXml = await asyncTrainDataErrorOf(() => readUpload([file('x.xml', '<annotation><object>'), file('x.jpg')], 0.2, 1));
    expect(badXml.argument).toBe('xml');
    expect(badXml.message).toMatch(/^x\.xml: not a Pascal VOC annotation \(.+\)$/);
    const notVoc = await asyncTrainDataErrorOf(() => readUpload([file('x.xml', '<svg></svg>'), file('x.jpg')], 0.2, 1));
    expect(notVoc).toMatchObject({ argument: 'xml', message: 'x.xml: not a Pascal VOC annotation (the root element is <svg>, not <annotation>)' });
    const missing = await asyncTrainDataErrorOf(() => readUpload([...vocFiles(), ...vocImages().slice(1)], 0.2, 1));
    expect(missing).toMatchObject({ argument: 'images', message: `images: 1 image(s) that the .xml files describe were not chosen (${vocImages()[0].name})` });
    const unnamed = await asyncTrainDataErrorOf(() => readUpload([file('x.xml', '<annotation><object><bndbox><xmin>1</xmin></bndbox></object></annotation>'), file('x.jpg')], 0.2, 1));
    expect(unnamed).toMatchObject({ argument: 'xml', message: 'xml: no object has a <name>' });
    const fraction = await asyncTrainDataErrorOf(() => readUpload([...vocFiles(), ...vocImages()], 1, 1));
    expect(fraction.argument).toBe('validationFraction');
  });
});
