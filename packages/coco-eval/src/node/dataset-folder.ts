import { stat } from 'node:fs/promises';
import { join } from 'node:path';

import type { CocoDataset } from '../coco-format.js';
import { CocoFileError } from '../errors.js';
import { readCocoDataset } from './coco-files.js';

/** A dataset folder laid out as `images/` plus `instances_<split>.json` (the layout of ../shared/datasets/bccd). */
export interface DatasetFolder {
  /** `<directory>/instances_<split>.json`. */
  annotationsFile: string;
  dataset: CocoDataset;
  /** The image file of each `dataset.images` entry, same order: `<directory>/images/<file_name>`. */
  imageFiles: string[];
}

/**
 * Opens one split of a dataset folder: reads its COCO JSON and checks that every image it lists has a
 * `file_name` that exists under `images/`, so that a missing file fails before any model runs.
 * @throws CocoFileError for a missing or malformed annotations file, or a missing image
 */
export async function openDatasetFolder(directory: string, split: string): Promise<DatasetFolder> {
  const annotationsFile = join(directory, `instances_${split}.json`);
  const dataset = await readCocoDataset(annotationsFile);
  const imageFiles = dataset.images.map((image, index) => {
    if (image.file_name === undefined || image.file_name === '') {
      throw new CocoFileError(annotationsFile, `images[${index}] (id ${image.id}) has no file_name`);
    }
    return join(directory, 'images', image.file_name);
  });
  await Promise.all(
    imageFiles.map(async (file) => {
      const info = await stat(file).catch(() => undefined);
      if (info === undefined || !info.isFile()) throw new CocoFileError(file, `no such file (listed in ${annotationsFile})`);
    }),
  );
  return { annotationsFile, dataset, imageFiles };
}
