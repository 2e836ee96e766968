import type { CategoryMap } from './category-map.js';
import type { CocoDetection } from './coco-format.js';

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
 * @throws CocoInputError for a class index the category map does not have
 */
export function toCocoDetections(detections: readonly ClassIndexDetection[], imageId: number, categories: CategoryMap): CocoDetection[] {
  return detections.map(({ box, score, classId }) => {
    const [x1, y1, x2, y2] = box;
    return { image_id: imageId, category_id: categories.categoryIdOf(classId), bbox: [x1, y1, x2 - x1, y2 - y1], score };
  });
}
