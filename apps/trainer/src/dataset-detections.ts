import { EVAL_PREDICT_OPTIONS, toCocoDetections, type CategoryMap, type CocoDataset, type CocoDetection } from '@edet/coco-eval';
import { FileFormatError } from '@edet/tensor';
import type { EfficientDet, PredictOptions, RgbImage } from '@edet/model';

import { readImageInput } from './files.js';

/** Options of `detectDataset`. */
export interface DatasetDetectionOptions {
  /** The file of each `dataset.images` entry, same order. */
  imageFiles: readonly string[];
  /** Overrides of `EVAL_PREDICT_OPTIONS` (e.g. `scoreThreshold`). */
  predict?: Partial<PredictOptions>;
  /** Images decoded and passed to `model.detect` at a time; bounds memory. Default 1. */
  batch?: number;
  /** The most pixels per image (default `MAX_IMAGE_PIXELS` of `@edet/data`). */
  maxPixels?: number;
  /** Called after each batch. */
  progress?: (done: number, total: number) => void;
}

/**
 * Decodes every image of a dataset, runs the model over it and returns its detections as COCO results
 * (`toCocoDetections` of `@edet/coco-eval`): boxes are clipped to the image, class index i becomes
 * `categories.categoryIdOf(i)`.
 * @throws FileFormatError for an image that does not decode or whose size differs from the dataset's
 */
export async function detectDataset(
  model: EfficientDet,
  dataset: CocoDataset,
  categories: CategoryMap,
  options: DatasetDetectionOptions,
): Promise<CocoDetection[]> {
  // Typed, so that the evaluator's settings are checked to be valid model options.
  const predictOptions: PredictOptions = { ...EVAL_PREDICT_OPTIONS, ...options.predict };
  const batch = Math.max(1, options.batch ?? 1);
  const total = dataset.images.length;
  const results: CocoDetection[] = [];
  for (let start = 0; start < total; start += batch) {
    const entries = dataset.images.slice(start, start + batch);
    const decoded: RgbImage[] = [];
    for (const [offset, entry] of entries.entries()) {
      const file = options.imageFiles[start + offset];
      const { image } = await readImageInput(file, options.maxPixels);
      // Boxes come back in decoded pixels and are scored against the JSON's; the two must be the same frame.
      // A missing or 0 side is one the annotations do not state (VOC without <size>).
      const differs = (declared: number | undefined, actual: number) => declared !== undefined && declared !== 0 && declared !== actual;
      if (differs(entry.width, image.width) || differs(entry.height, image.height)) {
        throw new FileFormatError(file, `is ${image.width}x${image.height}, but the dataset says ${entry.width}x${entry.height} for image ${entry.id}`);
      }
      decoded.push(image);
    }
    const perImage = await model.detect(decoded, predictOptions); // clipped to the image, the library's default
    perImage.forEach((detections, offset) => {
      results.push(...toCocoDetections(detections, entries[offset].id, categories));
    });
    options.progress?.(Math.min(start + batch, total), total);
  }
  return results;
}
