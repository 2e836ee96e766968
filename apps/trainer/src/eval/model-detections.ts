import { FileFormatError } from '@edet/tensor';
import type { EfficientDet, PredictOptions, RgbImage } from '@edet/model';

import { readInputFile } from '../files.js';
import { decodeImage } from '../image/decode.js';
import type { CategoryMap } from './category-map.js';
import type { CocoDataset, CocoDetection } from './coco-format.js';

/**
 * Post-processing for evaluation, the usual COCO-eval settings: keep nearly every box (score > 0.001),
 * per-class NMS at IoU 0.5, at most 100 per image (COCO counts no more). A higher threshold would cut the
 * low-precision tail of the PR curve and understate recall, hence AP.
 */
export const EVAL_PREDICT_OPTIONS = Object.freeze({
  scoreThreshold: 0.001,
  iouThreshold: 0.5,
  nms: 'per-class',
  maxDetections: 100,
} as const satisfies PredictOptions);

/** Options of `detectDataset`. */
export interface DatasetDetectionOptions {
  /** The file of each `dataset.images` entry, same order. */
  imageFiles: readonly string[];
  /** Overrides of `EVAL_PREDICT_OPTIONS` (e.g. `scoreThreshold`). */
  predict?: Partial<PredictOptions>;
  /** Images decoded and passed to `model.detect` at a time; bounds memory. Default 1. */
  batch?: number;
  /** Called after each batch. */
  progress?: (done: number, total: number) => void;
}

/**
 * Runs the model over every image of a dataset and returns its detections as COCO results: class index i
 * becomes `categories.categoryIdOf(i)`, boxes are clipped to the image and written `[x, y, width, height]`.
 * @throws FileFormatError for an image that does not decode or whose size differs from the dataset's
 */
export async function detectDataset(
  model: EfficientDet,
  dataset: CocoDataset,
  categories: CategoryMap,
  options: DatasetDetectionOptions,
): Promise<CocoDetection[]> {
  const predictOptions: PredictOptions = { ...EVAL_PREDICT_OPTIONS, ...options.predict };
  const batch = Math.max(1, options.batch ?? 1);
  const total = dataset.images.length;
  const results: CocoDetection[] = [];
  for (let start = 0; start < total; start += batch) {
    const entries = dataset.images.slice(start, start + batch);
    const decoded: RgbImage[] = [];
    for (const [offset, entry] of entries.entries()) {
      const file = options.imageFiles[start + offset];
      const { image } = await decodeImage(await readInputFile(file), file);
      // Boxes come back in decoded pixels and are scored against the JSON's; the two must be the same frame.
      if ((entry.width !== undefined && entry.width !== image.width) || (entry.height !== undefined && entry.height !== image.height)) {
        throw new FileFormatError(file, `is ${image.width}x${image.height}, but the dataset says ${entry.width}x${entry.height}`);
      }
      decoded.push(image);
    }
    const perImage = await model.detect(decoded, { ...predictOptions, clipToImage: true });
    perImage.forEach((detections, offset) => {
      for (const { box, score, classId } of detections) {
        const [x1, y1, x2, y2] = box;
        results.push({
          image_id: entries[offset].id,
          category_id: categories.categoryIdOf(classId),
          bbox: [x1, y1, x2 - x1, y2 - y1],
          score,
        });
      }
    });
    options.progress?.(Math.min(start + batch, total), total);
  }
  return results;
}
