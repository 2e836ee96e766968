import { readdirSync } from 'node:fs';
import { join } from 'node:path';

import { type DetectionDataset, groundTruthOf } from '../dataset.js';
import { errorText } from '@edet/tensor';
import { DataError } from '../errors.js';
import { parseVocAnnotation, type VocAnnotation } from '../voc-annotation.js';
import { vocImageName, vocSamples } from '../voc-samples.js';
import { checkImagesExist, displayPath, isDirectory, isFile } from './files.js';
import { readBoundedTextSync } from './read-bounded-text.js';

/** The largest VOC annotation (XML) or split file read: 16 MiB (a real one is a few kB). */
const MAX_VOC_FILE_BYTES = 16 * 1024 * 1024;

/** True when `root` looks like a VOC folder (has `Annotations/`). */
export function isVocFolder(root: string): boolean {
  return isDirectory(join(root, 'Annotations'));
}

/** The image folder of a VOC tree: `JPEGImages/`, else `images/`. */
function imageFolder(root: string): string {
  for (const name of ['JPEGImages', 'images']) if (isDirectory(join(root, name))) return join(root, name);
  throw new DataError(`${displayPath(root)}: a VOC folder needs JPEGImages/ (or images/) next to Annotations/`);
}

/** The split file `ImageSets/Main/<split>.txt`, if present. */
export function vocSplitFile(root: string, split: string): string | undefined {
  const file = join(root, 'ImageSets', 'Main', `${split}.txt`);
  return isFile(file) ? file : undefined;
}

/**
 * Loads one split of a Pascal VOC folder (`Annotations/*.xml`, `JPEGImages/`, optional
 * `ImageSets/Main/<split>.txt`; without it the split is every annotated image). Class names are every
 * object name in the Annotations folder, sorted, so that all splits share one class list. Difficult objects
 * are left out; bad boxes are dropped or clipped and recorded in `issues`.
 * @throws DataError (one line) for a missing folder, split entry or image, or a malformed XML file
 */
export function loadVocDataset(root: string, split: string): DetectionDataset {
  const annotationFolder = join(root, 'Annotations');
  if (!isDirectory(annotationFolder)) throw new DataError(`${displayPath(root)}: no Annotations/ folder (not a VOC dataset)`);
  const images = imageFolder(root);
  const xmlNames = readdirSync(annotationFolder).filter((name) => name.toLowerCase().endsWith('.xml')).sort();
  if (xmlNames.length === 0) throw new DataError(`${displayPath(annotationFolder)}: no .xml annotation files`);
  const annotations = new Map<string, VocAnnotation>();
  for (const name of xmlNames) {
    const file = join(annotationFolder, name);
    try {
      annotations.set(name.slice(0, -4), parseVocAnnotation(readBoundedTextSync(file, MAX_VOC_FILE_BYTES, 'VOC annotation file')));
    } catch (error) {
      throw new DataError(`${displayPath(file)}: not a VOC annotation (${errorText(error)})`);
    }
  }
  const splitFile = vocSplitFile(root, split);
  let ids = [...annotations.keys()];
  if (splitFile !== undefined) {
    ids = readBoundedTextSync(splitFile, MAX_VOC_FILE_BYTES, 'VOC split file')
      .split('\n')
      .map((line) => line.trim().split(/\s+/)[0])
      .filter((id) => id !== '' && !id.startsWith('#'));
    const unknown = ids.filter((id) => !annotations.has(id));
    if (unknown.length > 0) {
      throw new DataError(`${displayPath(splitFile)}: ${unknown.length} listed images have no Annotations/<id>.xml (${unknown.slice(0, 3).join(', ')})`);
    }
  }
  const listing = new Set(readdirSync(images));
  const names = ids.map((id) => vocImageName(id, annotations.get(id)!, listing));
  checkImagesExist(images, names, displayPath(splitFile ?? annotationFolder));

  const { classNames, samples, issues, notes } = vocSamples(annotations, ids, names, (name) => join(images, name), displayPath(annotationFolder));
  const categoryIds = classNames.map((_, index) => index + 1);
  return {
    format: 'voc',
    root,
    split,
    classNames,
    categoryIds,
    samples,
    groundTruth: groundTruthOf(samples, classNames, categoryIds),
    issues,
    notes,
    annotationSource: splitFile ?? annotationFolder,
  };
}
