import type { CategoryMap } from './category-map.js';
import { type CocoDetection, describe } from './coco-format.js';
import { CocoInputError } from './errors.js';

/**
 * A detection as a model returns it (`@edet/model`'s `Detection` fits): a corner box in the pixels of the
 * image the ground truth describes, its score and the model's class index.
 */
export interface ClassIndexDetection {
  /** `[x1, y1, x2, y2]`, already mapped to the original image (and clipped to it, for COCO scoring). */
  readonly box: readonly [number, number, number, number] | readonly number[];
  readonly score: number;
  /** The model's class index, `0 .. categories.size - 1`. */
  readonly classId: number;
}

/**
 * Turns one image's model detections into COCO results: class index i becomes `categories.categoryIdOf(i)`
 * and the corner box is written `[x, y, width, height]`. Order is kept.
 * @param imageId the `id` of the image in the ground truth
 * @throws CocoInputError for a class index the category map does not have, an `imageId` that is not a
 *   finite number, or a detection whose box or score is not finite numbers
 */
export function toCocoDetections(detections: readonly ClassIndexDetection[], imageId: number, categories: CategoryMap): CocoDetection[] {
  if (!Array.isArray(detections)) throw new CocoInputError('detections', 'an array of detections', describe(detections));
  if (typeof imageId !== 'number' || !Number.isFinite(imageId)) throw new CocoInputError('imageId', 'a finite number', describe(imageId));
  return detections.map((detection, index) => {
    const { box, score, classId } = (detection ?? {}) as ClassIndexDetection;
    const list = Array.isArray(box) || ArrayBuffer.isView(box) ? Array.from(box as ArrayLike<number>) : undefined;
    if (list === undefined || list.length !== 4 || !list.every((value) => typeof value === 'number' && Number.isFinite(value))) {
      throw new CocoInputError(`detections[${index}].box`, '[x1, y1, x2, y2], 4 finite numbers', describe(box));
    }
    if (typeof score !== 'number' || !Number.isFinite(score)) {
      throw new CocoInputError(`detections[${index}].score`, 'a finite number', describe(score));
    }
    const [x1, y1, x2, y2] = box;
    return { image_id: imageId, category_id: categories.categoryIdOf(classId), bbox: [x1, y1, x2 - x1, y2 - y1], score };
  });
}
