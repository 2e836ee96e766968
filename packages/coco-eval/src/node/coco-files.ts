import { assertCocoDataset, assertCocoDetections, type CocoDataset, type CocoDetection } from '../coco-format.js';
import { CocoFileError } from '../errors.js';
import { readJsonFile } from './read-json-file.js';

/** Turns a format check's error into one that names the file: `gt.json: annotations[3].bbox: expected ...`. */
function inFile<T>(path: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    throw new CocoFileError(path, error instanceof Error ? error.message : String(error));
  }
}

/**
 * Reads a COCO ground-truth file (`instances_<split>.json`).
 * @throws CocoFileError for a missing file, invalid JSON, a field of the wrong type, or a dataset with no images
 */
export async function readCocoDataset(path: string): Promise<CocoDataset> {
  const value = await readJsonFile(path);
  return inFile(path, () => {
    assertCocoDataset(value, '');
    if (value.images.length === 0) throw new Error('the dataset has no images');
    if (value.categories.length === 0) throw new Error('the dataset has no categories');
    return value;
  });
}

/**
 * Reads a COCO results file, `[{image_id, category_id, bbox: [x, y, w, h], score}, ...]`.
 * @throws CocoFileError for a missing file, invalid JSON, or an entry of the wrong shape
 */
export async function readCocoDetections(path: string): Promise<CocoDetection[]> {
  const value = await readJsonFile(path);
  return inFile(path, () => {
    assertCocoDetections(value, 'detections');
    return value;
  });
}
