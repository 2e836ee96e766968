import type { ImageMatches } from './match-image.js';
import type { CocoEvalParams } from './params.js';
import { descendingScoreOrder } from './score-order.js';

/** numpy's `np.spacing(1)`, the guard pycocotools adds to precision's denominator (so 1 TP reads 1/(1+eps)). */
const EPSILON = 2 ** -52;

/** Precision and recall of every setting; -1 where a setting has no ground truth to measure against. */
export interface AccumulatedCurves {
  /** `[T, R, K, A, M]` row-major: interpolated precision at each recall threshold. */
  precision: Float64Array;
  /** `[T, K, A, M]` row-major: the recall reached with all counted detections. */
  recall: Float64Array;
  /** `[T, R, K, A, M]`. */
  shape: [number, number, number, number, number];
}

/**
 * Pools the per-image matches of each category group, area range and detection cap into a precision/recall
 * curve, as pycocotools' `accumulate`:
 * - each image contributes its best `maxDets` detections; the pool is sorted by score with a stable sort,
 *   so tied scores keep image-id order;
 * - ignored detections add neither a true nor a false positive but keep their place in the ranking;
 * - precision is made monotone from the right, then read at each recall threshold r at the first rank
 *   whose recall is >= r (`np.searchsorted(recall, thresholds, side='left')`), 0 past the last rank.
 * @param matches `matches[k][a][i]`: group k, area range a, image i; undefined where the image had neither
 *   ground truth nor detections in group k.
 */
export function accumulate(matches: readonly (readonly (ImageMatches | undefined)[])[][], params: CocoEvalParams): AccumulatedCurves {
  const T = params.iouThresholds.length;
  const R = params.recallThresholds.length;
  const K = matches.length;
  const A = params.areaRanges.length;
  const M = params.maxDetections.length;
  const precision = new Float64Array(T * R * K * A * M).fill(-1);
  const recall = new Float64Array(T * K * A * M).fill(-1);

  for (let k = 0; k < K; k++) {
    for (let a = 0; a < A; a++) {
      const images = matches[k][a].filter((entry): entry is ImageMatches => entry !== undefined);
      if (images.length === 0) continue;
      const groundTruthCount = images.reduce((sum, image) => sum + image.groundTruthCount, 0);
      if (groundTruthCount === 0) continue;

      params.maxDetections.forEach((maxDetections, m) => {
        // Pool the first maxDetections of every image (each image's list is already best first).
        const sources: { image: ImageMatches; detection: number }[] = [];
        for (const image of images) {
          const count = Math.min(image.scores.length, maxDetections);
          for (let detection = 0; detection < count; detection++) sources.push({ image, detection });
        }
        const order = descendingScoreOrder(sources.map(({ image, detection }) => image.scores[detection]));
        const count = order.length;
        const rankedRecall = new Float64Array(count);
        const rankedPrecision = new Float64Array(count);

        for (let t = 0; t < T; t++) {
          let truePositives = 0;
          let falsePositives = 0;
          order.forEach((source, rank) => {
            const { image, detection } = sources[source];
            const flat = t * image.scores.length + detection;
            if (!image.ignored[flat]) {
              if (image.matched[flat]) truePositives++;
              else falsePositives++;
            }
            rankedRecall[rank] = truePositives / groundTruthCount;
            rankedPrecision[rank] = truePositives / (falsePositives + truePositives + EPSILON);
          });
          recall[((t * K + k) * A + a) * M + m] = count > 0 ? rankedRecall[count - 1] : 0;

          // The precision envelope: the best precision at this recall or any higher one.
          for (let rank = count - 1; rank > 0; rank--) {
            if (rankedPrecision[rank] > rankedPrecision[rank - 1]) rankedPrecision[rank - 1] = rankedPrecision[rank];
          }
          let rank = 0;
          params.recallThresholds.forEach((threshold, r) => {
            while (rank < count && rankedRecall[rank] < threshold) rank++;
            precision[(((t * R + r) * K + k) * A + a) * M + m] = rank < count ? rankedPrecision[rank] : 0;
          });
        }
      });
    }
  }
  return { precision, recall, shape: [T, R, K, A, M] };
}
