import { accumulate } from './accumulate.js';
import { assertCocoDataset, assertCocoDetections, describe, type CocoDataset, type CocoDetection } from './coco-format.js';
import { CocoInputError } from './errors.js';
import { matchCell, rankCell, type ImageMatches } from './match-image.js';
import { COCO_EVAL_PARAMS, type CocoEvalParams } from './params.js';
import { prepareEvaluation } from './prepare.js';
import { summarize } from './summarize.js';

/** Options of `evaluateCoco`. */
export interface CocoEvalOptions {
  /**
   * Match detections only to ground truth of their own category (pycocotools `useCats`, default true).
   * With false, categories are ignored as in proposal scoring, and `perClass` is empty.
   */
  useCats?: boolean;
}

/** The 12 standard numbers of one category. */
export interface CocoClassStats {
  categoryId: number;
  name: string;
  /** As `CocoEvaluation.stats`; -1 entries where the category has no ground truth in that range. */
  stats: number[];
}

/** The result of `evaluateCoco`. */
export interface CocoEvaluation {
  /**
   * AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl (`STAT_NAMES`), each the mean over the
   * categories with ground truth in its range; -1 where no category has any.
   */
  stats: number[];
  /** One row per ground-truth category, ascending ids (empty with `useCats: false`). */
  perClass: CocoClassStats[];
  params: CocoEvalParams;
  /** The images evaluated: every image of the ground truth, ascending ids. */
  imageIds: number[];
  /**
   * Interpolated precision, `[T, R, K, A, M]` row-major (see `shape`), -1 where undefined. K runs over the
   * categories in ascending id order, or is 1 with `useCats: false`.
   */
  precision: Float64Array;
  /** Final recall, `[T, K, A, M]` row-major, -1 where undefined. */
  recall: Float64Array;
  /** `[T, R, K, A, M]`: IoU thresholds, recall thresholds, categories, area ranges, detection caps. */
  shape: [number, number, number, number, number];
}

/**
 * COCO bbox evaluation, reproducing pycocotools' `COCOeval(gt, dt, 'bbox')` `evaluate()`, `accumulate()`,
 * `summarize()` number for number (IoU thresholds .50:.05:.95, 101 recall points, maxDets 1/10/100, the
 * all/small/medium/large area ranges, crowd regions, stable score ordering).
 *
 * Deliberate differences, all on inputs pycocotools does not handle: an empty `detections` list evaluates
 * (recall 0, precision 0) where `loadRes` fails; a detection whose image or category is not in the ground
 * truth throws where pycocotools asserts on images and silently drops categories; an annotation without
 * `area` uses its box's `width * height`.
 *
 * @param groundTruth a COCO dataset (`instances_*.json`); not modified.
 * @param detections COCO results: `{image_id, category_id, bbox: [x, y, w, h], score}`; not modified.
 * @throws CocoInputError for malformed input, duplicate ids, references to unknown images or categories, or
 *   options that are not an object with a boolean `useCats`.
 */
export function evaluateCoco(
  groundTruth: CocoDataset,
  detections: readonly CocoDetection[],
  options: CocoEvalOptions = {},
): CocoEvaluation {
  assertCocoDataset(groundTruth);
  assertCocoDetections(detections);
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new CocoInputError('options', 'an object such as { useCats: false }', describe(options));
  }
  // A string 'false' would be truthy: only booleans are accepted.
  if (options.useCats !== undefined && typeof options.useCats !== 'boolean') {
    throw new CocoInputError('options.useCats', 'true or false', describe(options.useCats));
  }
  const useCategories = options.useCats ?? true;
  const params = COCO_EVAL_PARAMS;
  const prepared = prepareEvaluation(groundTruth, detections, useCategories);
  const maxDetections = params.maxDetections[params.maxDetections.length - 1];

  // matches[k][a][i]: rank and compute IoUs once per image and category, then match once per area range.
  const matches: (ImageMatches | undefined)[][][] = prepared.cells.map((row) => {
    const perArea: (ImageMatches | undefined)[][] = params.areaRanges.map(() => new Array(row.length).fill(undefined));
    for (let i = 0; i < row.length; i++) {
      const cell = row[i];
      if (cell === undefined) continue;
      const ranked = rankCell(cell, maxDetections);
      params.areaRanges.forEach((range, a) => {
        perArea[a][i] = matchCell(ranked, range, params.iouThresholds);
      });
    }
    return perArea;
  });

  const curves = accumulate(matches, params);
  const perClass = useCategories
    ? prepared.categories.map((category, k) => ({ categoryId: category.id, name: category.name, stats: summarize(curves, params, k) }))
    : [];
  return {
    stats: summarize(curves, params),
    perClass,
    params,
    imageIds: prepared.imageIds,
    precision: curves.precision,
    recall: curves.recall,
    shape: curves.shape,
  };
}
