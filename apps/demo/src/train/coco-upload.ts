import { type Sample, DataError, checkCocoInstances, cocoDetectionDataset, createRandom, shuffledIndices } from '@edet/data';

/** A training set the page cannot use, naming the argument at fault and what was expected. */
export class TrainDataError extends Error {
  override name = 'TrainDataError';
  constructor(
    /** The argument at fault: `json`, `xml`, `zip`, `files`, `images`, `validationFraction`, a form field (`inputSize`, `steps`, `batchSize`, `learningRate`), or `labels` (boxes drawn in the page). */
    readonly argument: string,
    message: string,
  ) {
    super(message);
  }
}

/** A COCO dataset from uploaded files, split into training and validation images. */
export interface UploadedDataset {
  /** One name per class id, in the order of the file's categories. */
  classNames: string[];
  /** `file` is the uploaded file's name (its last path part), which the worker looks the image up by. */
  train: Sample[];
  validation: Sample[];
  images: number;
  annotations: number;
}

/** The last part of a path (`images/a.jpg` -> `a.jpg`): uploads carry no folders. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** @throws TrainDataError naming `validationFraction` unless it is in [0, 1) */
export function checkValidationFraction(validationFraction: number): void {
  if (!(validationFraction >= 0 && validationFraction < 1)) {
    throw new TrainDataError('validationFraction', `validationFraction: expected a number from 0 to below 1, got ${validationFraction}`);
  }
}

/** Up to five names, and how many more. */
export const listed = (names: readonly string[]) => names.slice(0, 5).join(', ') + (names.length > 5 ? ` and ${names.length - 5} more` : '');

/**
 * Reads a COCO instances file against the uploaded image files and splits its images, seeded, into a
 * training and a validation part (`round(fraction * images)`, at least one image each when there are two or
 * more and the fraction is above 0).
 * @param jsonText the instances file's text; `jsonName` names it in messages
 * @param imageNames the names of the uploaded images (paths are reduced to their last part)
 * @param validationFraction in [0, 1)
 * @throws TrainDataError naming `json` (not JSON, not COCO, an annotation naming no image, no annotated
 *   image), `images` (images the file lists that were not uploaded) or `validationFraction`
 */
export function readCocoUpload(jsonText: string, jsonName: string, imageNames: readonly string[], validationFraction: number, seed: number): UploadedDataset {
  checkValidationFraction(validationFraction);
  let json: unknown;
  try {
    json = JSON.parse(jsonText);
  } catch (error) {
    throw new TrainDataError('json', `${jsonName}: not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  let dataset;
  try {
    const coco = checkCocoInstances(json, jsonName);
    dataset = cocoDetectionDataset(coco, { root: '', split: 'upload', annotationSource: jsonName, displayName: jsonName, imageLocation: baseName });
  } catch (error) {
    if (error instanceof DataError) throw new TrainDataError('json', error.message);
    throw error;
  }
  const orphans = dataset.issues.filter((issue) => issue.reason === 'refers to no image in the file').map((issue) => issue.image);
  if (orphans.length > 0) throw new TrainDataError('json', `${jsonName}: ${orphans.length} annotation(s) refer to no image in the file (${listed(orphans)})`);
  const uploaded = new Set(imageNames.map(baseName));
  const missing = dataset.samples.filter((sample) => !uploaded.has(sample.file)).map((sample) => sample.file);
  if (missing.length > 0) throw new TrainDataError('images', `images: ${missing.length} image(s) that ${jsonName} lists were not chosen (${listed(missing)})`);
  return splitUpload(dataset.samples, dataset.classNames, 'json', jsonName, validationFraction, seed);
}

/**
 * Keeps the images with a usable box and splits them, seeded, into training and validation parts.
 * @param argument the upload part the annotations came in (`json`, `xml`); `source` names them in messages
 * @throws TrainDataError naming `argument` when no image has a usable box
 */
export function splitUpload(
  samples: readonly Sample[],
  classNames: string[],
  argument: string,
  source: string,
  validationFraction: number,
  seed: number,
): UploadedDataset {
  const usable = samples.filter((sample) => sample.boxes.length > 0);
  if (usable.length === 0) throw new TrainDataError(argument, `${source}: no image has a usable box`);
  const order = shuffledIndices(usable.length, createRandom(seed));
  let validationCount = Math.round(validationFraction * usable.length);
  if (validationFraction > 0 && usable.length >= 2) validationCount = Math.min(Math.max(validationCount, 1), usable.length - 1);
  const validation = order.slice(0, validationCount).sort((a, b) => a - b).map((i) => usable[i]);
  const train = order.slice(validationCount).sort((a, b) => a - b).map((i) => usable[i]);
  const annotations = usable.reduce((sum, sample) => sum + sample.boxes.length, 0);
  return { classNames, train, validation, images: usable.length, annotations };
}
