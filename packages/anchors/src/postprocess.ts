import * as tf from '@tensorflow/tfjs-core';

import { InvalidArgumentError, describeValue, formatShape, maxArgMax, readInto } from '@edet/tensor';

import { candidateBoxes, readCandidateSource } from './candidate-boxes.js';
import { sortedCandidates } from './candidate-order.js';
import { nms, type NmsMode } from './nms.js';
import { checkPostprocessOptions } from './options-check.js';
import { withScratchArrays } from './scratch-arrays.js';

/** One detected object. */
export interface Detection {
  /** `[x1, y1, x2, y2]` in network-input pixels (use `mapToOriginal` for original-image pixels). */
  box: [number, number, number, number];
  /** The class probability (decayed by soft-NMS when that mode is used). */
  score: number;
  /** Index of the best class (the first one on ties), e.g. 0-89 for the 90 COCO slots. */
  classId: number;
}

/**
 * Options of `postprocess`; the defaults are the zylo117 ones. Each is checked before any tensor is made
 * (`checkPostprocessOptions`): a bad one is an `InvalidArgumentError` naming it and its range.
 */
export interface PostprocessOptions {
  /** `[height, width]` of the network input, the frame boxes are clipped to. */
  imageSize: readonly [number, number];
  /** Keep an anchor when its best class score is strictly greater; in [0, 1]. Default 0.2. */
  scoreThreshold?: number;
  /** IoU above which hard NMS suppresses a box; in [0, 1] (1 suppresses nothing). Default 0.2. */
  iouThreshold?: number;
  /** Suppression mode. Default `per-class` (torchvision `batched_nms`). */
  nms?: NmsMode;
  /** At most this many detections per image, the best ones, after NMS: a whole number >= 0. Default Infinity (no cap). */
  maxDetections?: number;
  /** Gaussian soft-NMS sigma: scores are multiplied by `exp(-iou^2 / sigma)`; finite and > 0. Default 0.5. */
  softNmsSigma?: number;
}

/**
 * Turns head outputs into detections, as zylo117 `postprocess` does: decode the deltas against the anchors,
 * clip to the input frame, score = best class probability, keep anchors scoring above the threshold, then
 * NMS. Only what selection needs is read back: the `[N, A]` best scores and classes (`maxArgMax`, one pass
 * over the scores), then the deltas (the exponentials of the candidates' taken on the backend) and the
 * anchors (read once per anchors tensor), from which the candidates that pass the threshold are decoded
 * and clipped as `decodeBoxes` and `clipBoxes` do, in JavaScript. Regression and anchors are read as float32.
 * Hard NMS at IoU threshold 1 suppresses nothing, so there only each image's best `maxDetections`
 * candidates are decoded. What is read goes into arrays kept from call to call (`scratch-arrays.ts`).
 *
 * @param classification `[N, A, C]` class probabilities (after the sigmoid).
 * @param regression `[N, A, 4]` deltas `(dy, dx, dh, dw)`.
 * @param anchors `[A, 4]` (or `[1, A, 4]`) anchors `[y1, x1, y2, x2]`.
 * @returns one list per image, best first (ties: lower anchor index first). The inputs are not disposed;
 *   every intermediate tensor is.
 */
export async function postprocess(
  classification: tf.Tensor,
  regression: tf.Tensor,
  anchors: tf.Tensor,
  options: PostprocessOptions,
): Promise<Detection[][]> {
  checkPostprocessOptions(options, true);
  for (const [name, tensor] of [['classification', classification], ['regression', regression], ['anchors', anchors]] as const) {
    if (!(tensor instanceof tf.Tensor)) throw new InvalidArgumentError(name, 'a tf.Tensor', describeValue(tensor));
    if (tensor.isDisposed) throw new InvalidArgumentError(name, 'a tensor not yet disposed', `a disposed tensor ${formatShape(tensor.shape)}`);
  }
  const { imageSize, scoreThreshold = 0.2, iouThreshold = 0.2, nms: mode = 'per-class' } = options;
  if (classification.rank !== 3) {
    throw new InvalidArgumentError('classification', 'a [N, A, C] tensor', formatShape(classification.shape));
  }
  const [batch, count] = classification.shape;
  const regressionShape = formatShape([batch, count, 4]);
  if (formatShape(regression.shape) !== regressionShape) {
    throw new InvalidArgumentError('regression', `shape ${regressionShape}`, formatShape(regression.shape));
  }
  const anchorShape = formatShape(anchors.shape);
  if (anchorShape !== formatShape([count, 4]) && anchorShape !== formatShape([1, count, 4])) {
    throw new InvalidArgumentError('anchors', `shape ${formatShape([count, 4])} or [1,${count},4]`, anchorShape);
  }

  return withScratchArrays(async (scratch) => {
    // One pass over the [N, A, C] scores on the backend; only the [N, A] best scores and classes come back.
    const scores = scratch.float32('scores', batch * count);
    const bestIds = scratch.int32('classes', batch * count);
    const [best, bestClasses] = maxArgMax(classification);
    const bestScores = best.dtype === 'float32' ? best : tf.cast(best, 'float32');
    try {
      await Promise.all([readInto(bestScores, scores), readInto(bestClasses, bestIds)]);
    } finally {
      tf.dispose([best, bestScores, bestClasses]);
    }
    // The reference compares float32 scores with the threshold cast to float32, so do the same.
    const threshold = Math.fround(scoreThreshold);
    // Hard NMS at IoU 1 suppresses nothing (see `nms`): the answer is each image's best `maxDetections`
    // candidates, so only those are decoded (the demo keeps 5,000 of an untrained model's ~49k).
    const keepsAll = mode !== 'soft' && iouThreshold >= 1;
    const selected = scratch.int32('selected', batch * count);
    const imageStarts = [0];
    let total = 0;
    for (let image = 0, flat = 0; image < batch; image++) {
      if (keepsAll) {
        const chosen = sortedCandidates(scores.subarray(flat, flat + count), threshold, options.maxDetections);
        for (let k = 0; k < chosen.length; k++) selected[total++] = flat + chosen[k];
        flat += count;
      } else {
        // Branch-free, as in sortedCandidates: scores near the threshold pass or fail at random.
        for (const end = flat + count; flat < end; flat++) {
          selected[total] = flat;
          total += scores[flat] > threshold ? 1 : 0;
        }
      }
      imageStarts.push(total);
    }
    if (total === 0) return Array.from({ length: batch }, () => []);
    const flatIndices = selected.subarray(0, total);
    // The candidates' boxes, decoded and clipped in JavaScript with decodeBoxes' float32 operations.
    const boxes = candidateBoxes(await readCandidateSource(regression, anchors, flatIndices, scratch), flatIndices, imageSize);
    return detectionsOf(batch, imageStarts, flatIndices, scores, bestIds, boxes, keepsAll, { mode, iouThreshold, threshold, options });
  });
}

/** Each image's detections from its candidates: as they are (`keepsAll`), or after NMS. */
function detectionsOf(
  batch: number,
  imageStarts: number[],
  flatIndices: Int32Array,
  scores: Float32Array,
  bestIds: Int32Array,
  boxes: Float32Array,
  keepsAll: boolean,
  { mode, iouThreshold, threshold, options }: { mode: NmsMode; iouThreshold: number; threshold: number; options: PostprocessOptions },
): Detection[][] {
  const results: Detection[][] = [];
  for (let image = 0; image < batch; image++) {
    const start = imageStarts[image];
    const end = imageStarts[image + 1];
    const imageScores = new Float32Array(end - start);
    const imageClasses = new Int32Array(end - start);
    for (let k = start; k < end; k++) {
      imageScores[k - start] = scores[flatIndices[k]];
      imageClasses[k - start] = bestIds[flatIndices[k]];
    }
    const imageBoxes = boxes.subarray(start * 4, end * 4);
    const kept = keepsAll
      ? { indices: Array.from({ length: end - start }, (_, k) => k), scores: Array.from(imageScores) }
      : nms(imageBoxes, imageScores, imageClasses, {
          mode,
          iouThreshold,
          scoreThreshold: threshold,
          softNmsSigma: options.softNmsSigma,
          maxDetections: options.maxDetections,
        });
    const detections: Detection[] = new Array(kept.indices.length);
    for (let rank = 0; rank < detections.length; rank++) {
      const index = kept.indices[rank];
      const box = 4 * index;
      detections[rank] = {
        box: [imageBoxes[box], imageBoxes[box + 1], imageBoxes[box + 2], imageBoxes[box + 3]],
        score: kept.scores[rank],
        classId: imageClasses[index],
      };
    }
    results.push(detections);
  }
  return results;
}
