import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

import { categoryMap, type CategoryMap } from '@edet/coco-eval';

import { CliError, oneLineMessage } from '../errors.js';
import { checkBox } from './boxes.js';
import type { AnnotationIssue, Box, DetectionDataset, GroundTruth, Sample } from './dataset.js';
import { checkImagesExist, displayPath, isDirectory, isFile } from './files.js';

/** The parts of a COCO detection file the trainer reads. */
interface CocoFile {
  images: { id: number; file_name: string; width: number; height: number }[];
  annotations: { image_id: number; category_id: number; bbox: number[]; iscrowd?: number }[];
  categories: { id: number; name: string }[];
}

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

/** A declared image side, or `fallback` when the file leaves it out (boxes are then clipped after decoding). */
function sizeOr(value: unknown, fallback = Infinity): number {
  return typeof value === 'number' && value > 0 ? value : fallback;
}

function parseCocoFile(file: string): CocoFile {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CliError(`${displayPath(file)}: not a readable JSON file (${oneLineMessage(error)})`);
  }
  const data = json as Partial<CocoFile>;
  for (const key of ['images', 'annotations', 'categories'] as const) {
    if (!Array.isArray(data?.[key])) throw new CliError(`${displayPath(file)}: not a COCO detection file (no "${key}" array)`);
  }
  if (data.categories!.length === 0) throw new CliError(`${displayPath(file)}: declares no categories`);
  for (const image of data.images!) {
    if (typeof image?.file_name !== 'string' || typeof image.id !== 'number') {
      throw new CliError(`${displayPath(file)}: an image entry lacks "id" or "file_name" (${oneLineMessage(JSON.stringify(image))})`);
    }
  }
  return data as CocoFile;
}

/**
 * Loads one split of a COCO detection dataset. Boxes `[x, y, w, h]` become `[x1, y1, x2, y2, classId]`
 * with the class index of the category (ids sorted ascending -> 0..C-1). Crowd annotations are left out;
 * degenerate, out-of-image and unknown-category boxes are dropped and boxes crossing the border clipped,
 * each recorded in `issues`.
 * @throws CliError (one line) when the file or the images are missing or the file is not COCO JSON
 */
export function loadCocoDataset(root: string, split: string): DetectionDataset {
  const annotationFile = findCocoAnnotations(root, split);
  if (annotationFile === undefined) {
    throw new CliError(`${displayPath(root)}: no COCO instances file for split "${split}" (looked for ${cocoAnnotationCandidates(root, split).map((p) => basename(p)).join(', ')})`);
  }
  const coco = parseCocoFile(annotationFile);
  let categories: CategoryMap;
  try {
    // The class order `edet eval` scores with: category ids ascending -> class indices 0..C-1.
    categories = categoryMap(coco.categories);
  } catch (error) {
    throw new CliError(`${displayPath(annotationFile)}: ${oneLineMessage(error)}`);
  }
  const classIndex = new Map(categories.categoryIds.map((id, index) => [id, index]));
  const folders = imageFolderCandidates(root, annotationFile, split).filter(isDirectory);
  const first = coco.images[0]?.file_name;
  const folder = folders.find((candidate) => first === undefined || isFile(join(candidate, first))) ?? folders[0];
  if (folder === undefined) throw new CliError(`${displayPath(root)}: no image folder found (expected images/ next to the instances file)`);
  const what = displayPath(annotationFile);
  checkImagesExist(folder, coco.images.map((image) => image.file_name), what);

  const issues: AnnotationIssue[] = [];
  const byImage = new Map<number, Box[]>(coco.images.map((image) => [image.id, []]));
  const imageById = new Map(coco.images.map((image) => [image.id, image]));
  let crowd = 0;
  for (const annotation of coco.annotations) {
    const image = imageById.get(annotation.image_id);
    if (image === undefined) {
      issues.push({ image: `image id ${annotation.image_id}`, action: 'dropped', reason: 'refers to no image in the file' });
      continue;
    }
    if (annotation.iscrowd) {
      crowd += 1;
      continue;
    }
    const classId = classIndex.get(annotation.category_id);
    if (classId === undefined) {
      issues.push({ image: image.file_name, action: 'dropped', reason: `unknown category id ${annotation.category_id}` });
      continue;
    }
    const [x, y, w, h] = Array.isArray(annotation.bbox) ? annotation.bbox.map(Number) : [NaN, NaN, NaN, NaN];
    const box = checkBox({ x1: x, y1: y, x2: x + w, y2: y + h, classId }, sizeOr(image.width), sizeOr(image.height), image.file_name, issues);
    if (box) byImage.get(image.id)!.push(box);
  }
  const samples: Sample[] = coco.images.map((image) => ({
    file: join(folder, image.file_name),
    name: image.file_name,
    width: sizeOr(image.width, 0),
    height: sizeOr(image.height, 0),
    boxes: byImage.get(image.id)!,
    imageId: image.id,
  }));
  const notes = crowd > 0 ? [`left out ${crowd} crowd region${crowd === 1 ? '' : 's'} (iscrowd=1)`] : [];
  return {
    format: 'coco',
    root,
    split,
    classNames: [...categories.names],
    categoryIds: [...categories.categoryIds],
    samples,
    groundTruth: coco as unknown as GroundTruth,
    issues,
    notes,
    annotationSource: annotationFile,
  };
}
