import { CocoInputError } from './errors.js';

import type { CocoBox, CocoDataset, CocoDetection } from './coco-format.js';

/** A ground-truth object as the matcher sees it. */
export interface GroundTruthBox {
  /** The annotation id; pycocotools records matches by id, and id 0 reads as "unmatched" there. */
  id: number;
  box: CocoBox;
  area: number;
  crowd: boolean;
}

/** A detection as the matcher sees it. */
export interface DetectionBox {
  box: CocoBox;
  /** `width * height`, as pycocotools' `loadRes` sets it. */
  area: number;
  score: number;
}

/** The boxes of one image and one category (of every category when categories are not used). */
export interface EvaluationCell {
  /** In the order of the ground-truth file (`useCats: false`: category by category, ascending ids). */
  groundTruths: GroundTruthBox[];
  /** In the order of the results list, not yet sorted by score. */
  detections: DetectionBox[];
}

/** The inputs of an evaluation, checked and grouped. */
export interface PreparedEvaluation {
  /** Every image of the ground truth, ascending ids. */
  imageIds: number[];
  /** Every category of the ground truth, ascending ids. */
  categories: { id: number; name: string }[];
  /**
   * `cells[k][i]` for category group `k` (one per category, or a single group when categories are not used)
   * and image `imageIds[i]`; undefined when that image has neither ground truth nor detections there.
   */
  cells: (EvaluationCell | undefined)[][];
}

function indexIds(ids: readonly number[], what: string): Map<number, number> {
  const index = new Map<number, number>();
  ids.forEach((id, position) => {
    if (index.has(id)) throw new CocoInputError(`groundTruth.${what}[${position}].id`, `a unique id`, `${id} again`);
    index.set(id, position);
  });
  return index;
}

/**
 * Checks the references between ground truth and detections and groups the boxes by image and category,
 * keeping file order within a group (pycocotools' tie order depends on it).
 * @throws CocoInputError for duplicate image, category or annotation ids, and for an annotation or
 *   detection whose image or category the ground truth does not list (pycocotools asserts the former and
 *   silently drops the latter; a detection for an unknown class is a mapping bug worth hearing about).
 */
export function prepareEvaluation(
  groundTruth: CocoDataset,
  detections: readonly CocoDetection[],
  useCategories: boolean,
): PreparedEvaluation {
  const imageIds = groundTruth.images.map((image) => image.id);
  indexIds(imageIds, 'images');
  imageIds.sort((a, b) => a - b);
  const imageIndex = new Map(imageIds.map((id, position) => [id, position]));
  const categories = groundTruth.categories.map(({ id, name }) => ({ id, name }));
  indexIds(
    categories.map((category) => category.id),
    'categories',
  );
  categories.sort((a, b) => a.id - b.id);
  const categoryIndex = new Map(categories.map((category, position) => [category.id, position]));

  // Group per category first; without categories the groups are joined in ascending category order below,
  // as pycocotools concatenates them.
  const byCategory: (EvaluationCell | undefined)[][] = categories.map(() => new Array(imageIds.length));
  const cellAt = (categoryPosition: number, imagePosition: number): EvaluationCell =>
    (byCategory[categoryPosition][imagePosition] ??= { groundTruths: [], detections: [] });

  const annotationIds = new Set<number>();
  groundTruth.annotations.forEach((annotation, position) => {
    const where = `groundTruth.annotations[${position}]`;
    if (annotationIds.has(annotation.id)) throw new CocoInputError(`${where}.id`, 'a unique id', `${annotation.id} again`);
    annotationIds.add(annotation.id);
    const imagePosition = imageIndex.get(annotation.image_id);
    if (imagePosition === undefined) {
      throw new CocoInputError(`${where}.image_id`, 'an image id listed in images', String(annotation.image_id));
    }
    const categoryPosition = categoryIndex.get(annotation.category_id);
    if (categoryPosition === undefined) {
      throw new CocoInputError(`${where}.category_id`, 'a category id listed in categories', String(annotation.category_id));
    }
    const [, , width, height] = annotation.bbox;
    cellAt(categoryPosition, imagePosition).groundTruths.push({
      id: annotation.id,
      box: annotation.bbox,
      area: annotation.area ?? width * height,
      crowd: Boolean(annotation.iscrowd),
    });
  });

  detections.forEach((detection, position) => {
    const imagePosition = imageIndex.get(detection.image_id);
    if (imagePosition === undefined) {
      throw new CocoInputError(`detections[${position}].image_id`, 'an image id of the ground truth', String(detection.image_id));
    }
    const categoryPosition = categoryIndex.get(detection.category_id);
    if (categoryPosition === undefined) {
      throw new CocoInputError(`detections[${position}].category_id`, 'a category id of the ground truth', String(detection.category_id));
    }
    const [, , width, height] = detection.bbox;
    cellAt(categoryPosition, imagePosition).detections.push({ box: detection.bbox, area: width * height, score: detection.score });
  });

  if (useCategories) return { imageIds, categories, cells: byCategory };
  const joined = imageIds.map((_, imagePosition) => {
    const present = byCategory.map((row) => row[imagePosition]).filter((cell) => cell !== undefined);
    if (present.length === 0) return undefined;
    return {
      groundTruths: present.flatMap((cell) => cell.groundTruths),
      detections: present.flatMap((cell) => cell.detections),
    };
  });
  return { imageIds, categories, cells: [joined] };
}
