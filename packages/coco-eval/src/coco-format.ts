import { CocoInputError } from './errors.js';

// The COCO detection format (https://cocodataset.org/#format-data), the parts a bbox evaluation reads.
// Field names are the file format's own (`image_id`, `iscrowd`): naming is an interface.

/** A box `[x, y, width, height]` in image pixels, (x, y) its top-left corner. */
export type CocoBox = [number, number, number, number];

/** An entry of a dataset's `images`. */
export interface CocoImage {
  id: number;
  /** Relative to the dataset's image folder; needed only to run a model over the dataset. */
  file_name?: string;
  width?: number;
  height?: number;
}

/** An entry of a dataset's `categories`. */
export interface CocoCategory {
  id: number;
  name: string;
  supercategory?: string;
}

/** A ground-truth object. */
export interface CocoAnnotation {
  id: number;
  image_id: number;
  category_id: number;
  bbox: CocoBox;
  /**
   * The object's area, which decides its small/medium/large range (for COCO itself the segmentation's
   * area, not the box's). pycocotools requires it; without it `width * height` of the box is used.
   */
  area?: number;
  /** 1 for a crowd region: detections inside it are neither true nor false positives. Default 0. */
  iscrowd?: number;
}

/** A ground-truth file: `instances_<split>.json`. */
export interface CocoDataset {
  images: CocoImage[];
  annotations: CocoAnnotation[];
  categories: CocoCategory[];
}

/** One entry of a COCO results file. Its area, for the area ranges, is `width * height`. */
export interface CocoDetection {
  image_id: number;
  category_id: number;
  bbox: CocoBox;
  score: number;
}

/** A value for a message, briefly. */
export const describe = (value: unknown): string => {
  if (typeof value === 'number') return String(value); // JSON would print NaN and Infinity as null
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined; // a cycle or a BigInt: say what it is instead
  }
  if (text === undefined) return String(value);
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
};

/** The path of a field for messages: `groundTruth.images`, or just `images` when the name is empty (a file). */
function field(name: string, key: string): string {
  return name === '' ? key : `${name}.${key}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkNumber(record: Record<string, unknown>, key: string, where: string, optional = false): void {
  const value = record[key];
  if (optional && value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new CocoInputError(`${where}.${key}`, 'a finite number', describe(value));
  }
}

function checkBox(record: Record<string, unknown>, where: string): void {
  const box = record.bbox;
  if (!Array.isArray(box) || box.length !== 4 || !box.every((value) => typeof value === 'number' && Number.isFinite(value))) {
    throw new CocoInputError(`${where}.bbox`, '[x, y, width, height], 4 finite numbers', describe(box));
  }
}

function checkArray(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new CocoInputError(where, 'an array', describe(value));
  return value;
}

function checkRecord(value: unknown, where: string): Record<string, unknown> {
  if (!isRecord(value)) throw new CocoInputError(where, 'an object', describe(value));
  return value;
}

/**
 * Checks that a parsed JSON value is a COCO ground-truth dataset: `images`, `annotations` and `categories`
 * arrays whose entries have the fields above with the right types. Other fields are allowed and ignored.
 * Cross references (an annotation's image) are checked by `evaluateCoco`.
 * @param name how messages name the value, e.g. `groundTruth`; empty for none (a file's name goes before)
 * @throws CocoInputError naming the first bad field, e.g. `groundTruth.annotations[3].bbox: expected ...`
 */
export function assertCocoDataset(value: unknown, name = 'groundTruth'): asserts value is CocoDataset {
  const dataset = checkRecord(value, name === '' ? 'the dataset' : name);
  checkArray(dataset.images, field(name, 'images')).forEach((entry, index) => {
    const where = field(name, `images[${index}]`);
    const image = checkRecord(entry, where);
    checkNumber(image, 'id', where);
    if (image.file_name !== undefined && typeof image.file_name !== 'string') {
      throw new CocoInputError(`${where}.file_name`, 'a string', describe(image.file_name));
    }
    checkNumber(image, 'width', where, true);
    checkNumber(image, 'height', where, true);
  });
  checkArray(dataset.categories, field(name, 'categories')).forEach((entry, index) => {
    const where = field(name, `categories[${index}]`);
    const category = checkRecord(entry, where);
    checkNumber(category, 'id', where);
    if (typeof category.name !== 'string') throw new CocoInputError(`${where}.name`, 'a string', describe(category.name));
  });
  checkArray(dataset.annotations, field(name, 'annotations')).forEach((entry, index) => {
    const where = field(name, `annotations[${index}]`);
    const annotation = checkRecord(entry, where);
    for (const key of ['id', 'image_id', 'category_id']) checkNumber(annotation, key, where);
    checkBox(annotation, where);
    checkNumber(annotation, 'area', where, true);
    const crowd = annotation.iscrowd;
    if (crowd !== undefined && crowd !== 0 && crowd !== 1) {
      throw new CocoInputError(`${where}.iscrowd`, '0 or 1', describe(crowd));
    }
  });
}

/**
 * Checks that a parsed JSON value is a COCO results list, `[{image_id, category_id, bbox, score}]`.
 * @throws CocoInputError naming the first bad entry, e.g. `detections[7].score: expected a finite number, got null`
 */
export function assertCocoDetections(value: unknown, name = 'detections'): asserts value is CocoDetection[] {
  checkArray(value, name).forEach((entry, index) => {
    const where = `${name}[${index}]`;
    const detection = checkRecord(entry, where);
    for (const key of ['image_id', 'category_id', 'score']) checkNumber(detection, key, where);
    checkBox(detection, where);
  });
}
