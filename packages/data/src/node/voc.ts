import { readdirSync } from 'node:fs';
import { extname, join } from 'node:path';

import { checkBox } from '../boxes.js';
import { type AnnotationIssue, type Box, type DetectionDataset, type Sample, groundTruthOf } from '../dataset.js';
import { errorText } from '@edet/tensor';
import { DataError } from '../errors.js';
import { parseVocAnnotation, type VocAnnotation } from '../voc-annotation.js';
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

const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.JPG', '.JPEG', '.PNG'];

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
  const classNames = [...new Set([...annotations.values()].flatMap((a) => a.objects.map((o) => o.name)).filter((n) => n !== ''))].sort();
  if (classNames.length === 0) throw new DataError(`${displayPath(annotationFolder)}: no object has a <name>`);
  const classIndex = new Map(classNames.map((name, index) => [name, index]));

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
  const imageIds = new Map([...annotations.keys()].map((id, index) => [id, index + 1]));
  const listing = new Set(readdirSync(images));
  const imageName = (id: string, annotation: VocAnnotation) => {
    if (annotation.filename !== undefined && listing.has(annotation.filename)) return annotation.filename;
    const byId = IMAGE_EXTENSIONS.map((extension) => id + extension).find((name) => listing.has(name));
    return byId ?? annotation.filename ?? (extname(id) === '' ? `${id}.jpg` : id);
  };
  const names = ids.map((id) => imageName(id, annotations.get(id)!));
  checkImagesExist(images, names, displayPath(splitFile ?? annotationFolder));

  const issues: AnnotationIssue[] = [];
  let difficult = 0;
  const samples: Sample[] = ids.map((id, index) => {
    const annotation = annotations.get(id)!;
    const name = names[index];
    const width = annotation.width > 0 ? annotation.width : Infinity;
    const height = annotation.height > 0 ? annotation.height : Infinity;
    const boxes: Box[] = [];
    for (const object of annotation.objects) {
      if (object.difficult) {
        difficult += 1;
        continue;
      }
      const classId = classIndex.get(object.name);
      if (classId === undefined) {
        issues.push({ image: name, action: 'dropped', reason: 'object without a <name>' });
        continue;
      }
      const [x1, y1, x2, y2] = object.box;
      const box = checkBox({ x1, y1, x2, y2, classId }, width, height, name, issues);
      if (box) boxes.push(box);
    }
    return { file: join(images, name), name, width: annotation.width, height: annotation.height, boxes, imageId: imageIds.get(id)! };
  });
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
    notes: difficult > 0 ? [`left out ${difficult} object${difficult === 1 ? '' : 's'} marked difficult`] : [],
    annotationSource: splitFile ?? annotationFolder,
  };
}
