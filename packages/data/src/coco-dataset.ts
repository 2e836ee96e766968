import { categoryMap, type CategoryMap } from '@edet/coco-eval';

import { checkBox } from './boxes.js';
import type { AnnotationIssue, Box, DetectionDataset, GroundTruth, Sample } from './dataset.js';
import { errorText } from '@edet/tensor';
import { DataError } from './errors.js';

/** The parts of a COCO detection file (`instances_<split>.json`) the training pipeline reads. */
export interface CocoInstances {
  images: { id: number; file_name: string; width: number; height: number }[];
  annotations: { image_id: number; category_id: number; bbox: number[]; iscrowd?: number }[];
  categories: { id: number; name: string }[];
}

/** A declared image side, or `fallback` when the file leaves it out (boxes are then clipped after decoding). */
function sizeOr(value: unknown, fallback = Infinity): number {
  return typeof value === 'number' && value > 0 ? value : fallback;
}

/**
 * Checks that a parsed JSON value is a COCO detection file: `images`, `annotations` and `categories` arrays,
 * at least one category, every image with a numeric `id` and a `file_name`.
 * @param source how messages name the file, e.g. its path
 * @throws DataError (one line, starting with `source`) naming what is missing
 */
export function checkCocoInstances(json: unknown, source: string): CocoInstances {
  const data = json as Partial<CocoInstances>;
  for (const key of ['images', 'annotations', 'categories'] as const) {
    if (!Array.isArray(data?.[key])) throw new DataError(`${source}: not a COCO detection file (no "${key}" array)`);
  }
  if (data.categories!.length === 0) throw new DataError(`${source}: declares no categories`);
  for (const image of data.images!) {
    if (typeof image?.file_name !== 'string' || typeof image.id !== 'number') {
      throw new DataError(`${source}: an image entry lacks "id" or "file_name" (${errorText(JSON.stringify(image))})`);
    }
  }
  return data as CocoInstances;
}

/** Where a COCO split came from, and where its images are. */
export interface CocoSplitSource {
  /** The folder (or instances file) the user named. */
  root: string;
  split: string;
  /** The instances file's path. */
  annotationSource: string;
  /** How messages name the instances file (e.g. a path relative to the working folder). */
  displayName: string;
  /** The location of an image from its `file_name` (a path, or a URL in a browser). */
  imageLocation: (fileName: string) => string;
}

/**
 * Builds one split of a COCO detection dataset from its checked instances. Boxes `[x, y, w, h]` become
 * `[x1, y1, x2, y2, classId]` with the class index of the category (ids sorted ascending -> 0..C-1, the
 * order `@edet/coco-eval`'s `categoryMap` gives). Crowd annotations are left out; degenerate,
 * out-of-image and unknown-category boxes are dropped and boxes crossing the border clipped, each recorded
 * in `issues`.
 * @throws DataError when the categories repeat an id
 */
export function cocoDetectionDataset(coco: CocoInstances, source: CocoSplitSource): DetectionDataset {
  let categories: CategoryMap;
  try {
    categories = categoryMap(coco.categories);
  } catch (error) {
    throw new DataError(`${source.displayName}: ${errorText(error)}`);
  }
  const classIndex = new Map(categories.categoryIds.map((id, index) => [id, index]));
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
    file: source.imageLocation(image.file_name),
    name: image.file_name,
    width: sizeOr(image.width, 0),
    height: sizeOr(image.height, 0),
    boxes: byImage.get(image.id)!,
    imageId: image.id,
  }));
  const notes = crowd > 0 ? [`left out ${crowd} crowd region${crowd === 1 ? '' : 's'} (iscrowd=1)`] : [];
  return {
    format: 'coco',
    root: source.root,
    split: source.split,
    classNames: [...categories.names],
    categoryIds: [...categories.categoryIds],
    samples,
    groundTruth: coco as unknown as GroundTruth,
    issues,
    notes,
    annotationSource: source.annotationSource,
  };
}
