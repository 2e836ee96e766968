import { boxIou } from './box-iou.js';
import type { AreaRange } from './params.js';
import type { DetectionBox, EvaluationCell, GroundTruthBox } from './prepare.js';
import { descendingScoreOrder, falseFirstOrder } from './score-order.js';

/** One image and category ready for matching: detections ranked and capped, IoUs computed once. */
export interface RankedCell {
  groundTruths: readonly GroundTruthBox[];
  /** Best first, at most `maxDetections` (ties in results-file order). */
  detections: readonly DetectionBox[];
  /** `[D, G]` row-major, ground truth in file order. */
  iou: Float64Array;
}

/** How the detections of one image and category fared in one area range. */
export interface ImageMatches {
  /** D scores, best first. */
  scores: Float64Array;
  /** `[T, D]`: 1 where the detection matched a ground truth at IoU threshold t (pycocotools `dtMatches != 0`). */
  matched: Uint8Array;
  /** `[T, D]`: 1 where the detection counts neither as a true nor a false positive. */
  ignored: Uint8Array;
  /** Ground truths that recall is measured against: not crowd, area within the range. */
  groundTruthCount: number;
}

/**
 * Ranks a cell's detections by score (stable) and keeps the best `maxDetections` BEFORE matching, so a
 * 101st box can never take a ground truth away from the first hundred; then computes their IoUs.
 */
export function rankCell(cell: EvaluationCell, maxDetections: number): RankedCell {
  const order = descendingScoreOrder(cell.detections.map((detection) => detection.score)).slice(0, maxDetections);
  const detections = order.map((index) => cell.detections[index]);
  const iou = boxIou(
    detections.map((detection) => detection.box),
    cell.groundTruths.map((groundTruth) => groundTruth.box),
    cell.groundTruths.map((groundTruth) => groundTruth.crowd),
  );
  return { groundTruths: cell.groundTruths, detections, iou };
}

/**
 * Greedy COCO matching of one image and category at every IoU threshold, as pycocotools' `evaluateImg`:
 * - ground truth outside the area range, and crowd regions, are "ignored"; they are tried after the others;
 * - each detection, best score first, takes the ground truth with the highest IoU >= the threshold (the last
 *   one among equals) that is still free, a crowd region being never used up;
 * - once it has a regular candidate it does not move to an ignored one;
 * - a detection matched to an ignored box is ignored, and so is an unmatched one outside the area range.
 * A ground truth with annotation id 0 reads as "unmatched" in pycocotools (it stores matches by id and
 * tests them for non-zero): its detection still uses it up but counts as a false positive. Reproduced.
 */
export function matchCell(cell: RankedCell, areaRange: AreaRange, iouThresholds: readonly number[]): ImageMatches {
  const { groundTruths, detections, iou } = cell;
  const groundTruthCount = groundTruths.length;
  const detectionCount = detections.length;
  const outside = (area: number) => area < areaRange.min || area > areaRange.max;
  const ignoredTruth = groundTruths.map((groundTruth) => groundTruth.crowd || outside(groundTruth.area));
  // Matching walks the ground truth with the ignored boxes last, so that a regular match is found first.
  const order = falseFirstOrder(ignoredTruth);
  const matched = new Uint8Array(iouThresholds.length * detectionCount);
  const ignored = new Uint8Array(iouThresholds.length * detectionCount);
  const taken = new Uint8Array(groundTruthCount);

  iouThresholds.forEach((threshold, t) => {
    taken.fill(0);
    const row = t * detectionCount;
    for (let d = 0; d < detectionCount; d++) {
      // pycocotools' cap, so that a threshold of 1 still accepts a perfect box (inert for .50:.95).
      let best = Math.min(threshold, 1 - 1e-10);
      let match = -1;
      for (const g of order) {
        if (taken[g] && !groundTruths[g].crowd) continue;
        if (match > -1 && !ignoredTruth[match] && ignoredTruth[g]) break;
        const overlap = iou[d * groundTruthCount + g];
        if (overlap < best) continue;
        best = overlap;
        match = g;
      }
      if (match === -1) continue;
      taken[match] = 1;
      ignored[row + d] = ignoredTruth[match] ? 1 : 0;
      matched[row + d] = groundTruths[match].id !== 0 ? 1 : 0;
    }
    for (let d = 0; d < detectionCount; d++) {
      if (!matched[row + d] && outside(detections[d].area)) ignored[row + d] = 1;
    }
  });

  return {
    scores: Float64Array.from(detections, (detection) => detection.score),
    matched,
    ignored,
    groundTruthCount: ignoredTruth.filter((flag) => !flag).length,
  };
}
