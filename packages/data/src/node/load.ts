import type { DetectionDataset } from '../dataset.js';
import { DataError } from '../errors.js';
import { findCocoAnnotations, loadCocoDataset } from './coco.js';
import { displayPath, isDirectory, isFile } from './files.js';
import { isVocFolder, loadVocDataset, vocSplitFile } from './voc.js';

/** The dataset formats `--format` names. */
export const DATASET_FORMATS = ['coco', 'voc'] as const;
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

/** Which dataset and splits to load. */
export interface DatasetOptions {
  /** A COCO folder (or instances .json file) or a VOC folder. */
  data: string;
  /** Default: detected (`Annotations/` means VOC, an instances file COCO). */
  format?: DatasetFormat;
  split: string;
  /** The validation split; missing is fine (no evaluation). */
  valSplit?: string;
}

/** The training split and, when the dataset has one, the validation split. */
export interface DatasetSplits {
  train: DetectionDataset;
  val: DetectionDataset | undefined;
  format: DatasetFormat;
  root: string;
}

/** The format of the dataset at `root`, or a one-line error saying what was expected. */
export function detectFormat(root: string, split: string): DatasetFormat {
  if (!isDirectory(root) && !isFile(root)) throw new DataError(`dataset ${displayPath(root)} does not exist`);
  if (findCocoAnnotations(root, split) !== undefined) return 'coco';
  if (isDirectory(root) && isVocFolder(root)) return 'voc';
  throw new DataError(
    `${displayPath(root)}: not a dataset (expected instances_${split}.json or annotations/instances_${split}.json for COCO, or Annotations/ + JPEGImages/ for VOC)`,
  );
}

/**
 * Loads the training split and the validation split if the dataset has it. The two must declare the same
 * classes. Every problem with the folder or its files is a one-line `DataError`.
 */
export function loadDatasetSplits(options: DatasetOptions): DatasetSplits {
  // Kept as given (not resolved), so that messages name files as the user wrote them.
  const root = options.data;
  const format = options.format ?? detectFormat(root, options.split);
  if (!isDirectory(root) && !isFile(root)) throw new DataError(`dataset ${displayPath(root)} does not exist`);
  const load = format === 'coco' ? loadCocoDataset : loadVocDataset;
  const train = load(root, options.split);
  if (train.samples.length === 0) throw new DataError(`${displayPath(train.annotationSource)}: the "${options.split}" split has no images`);
  let val: DetectionDataset | undefined;
  const valSplit = options.valSplit;
  if (valSplit !== undefined && valSplit !== '' && valSplit !== options.split) {
    const present = format === 'coco' ? findCocoAnnotations(root, valSplit) !== undefined && !isFile(root) : vocSplitFile(root, valSplit) !== undefined;
    if (present) {
      val = load(root, valSplit);
      if (val.samples.length === 0) val = undefined;
    }
  }
  if (val && (val.classNames.join('\n') !== train.classNames.join('\n') || val.categoryIds.join() !== train.categoryIds.join())) {
    throw new DataError(
      `${displayPath(val.annotationSource)}: its categories (${val.classNames.join(', ')}) differ from the training split's (${train.classNames.join(', ')})`,
    );
  }
  return { train, val, format, root };
}
