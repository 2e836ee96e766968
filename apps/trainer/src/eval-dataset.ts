import { join } from 'node:path';

import type { CocoDataset } from '@edet/coco-eval';
import { openDatasetFolder, type DatasetFolder } from '@edet/coco-eval/node';
import { findCocoAnnotations, isDirectory, isFile, isVocFolder, loadCocoDataset, loadVocDataset } from '@edet/data/node';

import { CliError } from './errors.js';

/**
 * Opens the split `edet eval --data DIR` scores, accepting every dataset folder `edet train --data DIR` does
 * (as `detectFormat` of `@edet/data/node` tells them): COCO with `instances_<split>.json` beside `images/` (read as it always
 * was), COCO with `annotations/instances_<split>.json`, and Pascal VOC (`Annotations/` + `JPEGImages/`, the
 * split from `ImageSets/Main/<split>.txt` or every annotated image), whose ground truth is the same COCO form
 * that validation during training scores against.
 * @returns the ground truth, its file (or VOC's Annotations folder) and each image's file, in `dataset.images` order
 */
export async function openEvalDataset(directory: string, split: string): Promise<DatasetFolder> {
  const cocoElsewhere = !isFile(join(directory, `instances_${split}.json`)) && isDirectory(directory) && findCocoAnnotations(directory, split) !== undefined;
  const voc = !cocoElsewhere && isDirectory(directory) && isVocFolder(directory);
  // The classic layout, and anything that is no dataset (its error names the instances file looked for).
  if (!cocoElsewhere && !voc) return openDatasetFolder(directory, split);
  const loaded = voc ? loadVocDataset(directory, split) : loadCocoDataset(directory, split);
  const fileOf = new Map(loaded.samples.map((sample) => [sample.imageId, sample.file]));
  const dataset = loaded.groundTruth as CocoDataset;
  const imageFiles = dataset.images.map((image) => {
    const file = fileOf.get(image.id);
    if (file === undefined) throw new CliError(`${loaded.annotationSource}: image ${image.id} has no image file in the "${split}" split`);
    return file;
  });
  return { annotationsFile: loaded.annotationSource, dataset, imageFiles };
}
