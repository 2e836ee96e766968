import { basename, dirname, join } from 'node:path';

import { checkCocoInstances, cocoDetectionDataset, type CocoInstances } from '../coco-dataset.js';
import type { DetectionDataset } from '../dataset.js';
import { errorText } from '@edet/tensor';
import { DataError } from '../errors.js';
import { checkImagesExist, displayPath, isDirectory, isFile } from './files.js';
import { MAX_ANNOTATION_FILE_BYTES, readBoundedTextSync } from './read-bounded-text.js';

/** Where the instances file of `split` can be, in order: `DIR/instances_<split>.json` (the shared datasets' layout) first. */
export function cocoAnnotationCandidates(root: string, split: string): string[] {
  return [join(root, `instances_${split}.json`), join(root, 'annotations', `instances_${split}.json`), join(root, `${split}.json`)];
}

/** The instances file of `split` under `root` (or `root` itself when it is a .json file), if any. */
export function findCocoAnnotations(root: string, split: string): string | undefined {
  if (isFile(root) && root.endsWith('.json')) return root;
  return cocoAnnotationCandidates(root, split).find(isFile);
}

/** Folders the images may be in, in order. */
function imageFolderCandidates(root: string, annotationFile: string, split: string): string[] {
  const base = isFile(root) ? dirname(root) : root;
  const near = dirname(annotationFile);
  return [
    join(base, 'images'),
    join(base, 'images', split),
    join(base, split),
    join(base, `${split}2017`),
    join(base, 'images', `${split}2017`),
    join(near, '..', 'images'),
    base,
  ];
}

function readCocoFile(file: string): CocoInstances {
  let json: unknown;
  try {
    json = JSON.parse(readBoundedTextSync(file, MAX_ANNOTATION_FILE_BYTES, 'COCO annotation file'));
  } catch (error) {
    throw new DataError(`${displayPath(file)}: not a readable JSON file (${errorText(error)})`);
  }
  return checkCocoInstances(json, displayPath(file));
}

/**
 * Loads one split of a COCO detection dataset from a folder or instances file: finds the instances file and
 * the image folder, checks that every image exists, then builds the split with `cocoDetectionDataset`
 * (boxes as `[x1, y1, x2, y2, classId]`, crowd regions left out, bad boxes dropped or clipped into `issues`).
 * @throws DataError (one line) when the file or the images are missing or the file is not COCO JSON
 */
export function loadCocoDataset(root: string, split: string): DetectionDataset {
  const annotationFile = findCocoAnnotations(root, split);
  if (annotationFile === undefined) {
    throw new DataError(`${displayPath(root)}: no COCO instances file for split "${split}" (looked for ${cocoAnnotationCandidates(root, split).map((p) => basename(p)).join(', ')})`);
  }
  const coco = readCocoFile(annotationFile);
  const folders = imageFolderCandidates(root, annotationFile, split).filter(isDirectory);
  const first = coco.images[0]?.file_name;
  const folder = folders.find((candidate) => first === undefined || isFile(join(candidate, first))) ?? folders[0];
  if (folder === undefined) throw new DataError(`${displayPath(root)}: no image folder found (expected images/ next to the instances file)`);
  const what = displayPath(annotationFile);
  checkImagesExist(folder, coco.images.map((image) => image.file_name), what);

  return cocoDetectionDataset(coco, {
    root,
    split,
    annotationSource: annotationFile,
    displayName: what,
    imageLocation: (fileName) => join(folder, fileName),
  });
}
