import * as tf from '@tensorflow/tfjs-core';

import { InvalidArgumentError, formatShape } from '@edet/tensor';

import { encodeBoxes } from './box-coding.js';
import { swapXY } from './box-format.js';
import { pairwiseIou } from './iou.js';

/** Options of `assignAnchors`; the defaults are the official EfficientDet matcher's. */
export interface AnchorAssignmentOptions {
  /** Number of classes (width of the one-hot class targets). */
  numClasses: number;
  /** An anchor whose best IoU is at least this is positive. Default 0.5. */
  positiveIou?: number;
  /** An anchor whose best IoU is below this is negative; in between it is ignored. Default 0.4. */
  negativeIou?: number;
  /**
   * Make every ground-truth box's best anchor positive for that box, even below `positiveIou`, so that no
   * object goes unmatched (official `force_match_for_each_row`). Default false (zylo117 behaviour).
   */
  matchLowQuality?: boolean;
}

/** Per-anchor training targets of one image. All are new tensors the caller disposes. */
export interface AnchorTargets {
  /** `[A, numClasses]` one-hot class of the matched box for positive anchors, zeros elsewhere. */
  classTargets: tf.Tensor2D;
  /** `[A, 4]` deltas `(dy, dx, dh, dw)` from the anchor to its matched box for positives, zeros elsewhere. */
  boxTargets: tf.Tensor2D;
  /** `[A]` anchor state: 1 positive, 0 negative, -1 ignored (float32). */
  anchorState: tf.Tensor1D;
  /** Number of positive anchors (scalar float32). */
  numPositives: tf.Scalar;
}

/**
 * Matches anchors to ground-truth boxes by IoU: best IoU >= `positiveIou` positive, < `negativeIou`
 * negative, otherwise ignored. With no boxes every anchor is negative. Fully vectorised: one `[A, N]` IoU
 * matrix, a max and an argmax; no per-anchor JavaScript.
 *
 * @param anchors `[A, 4]` as `[y1, x1, y2, x2]` (the layout `generateAnchors` produces).
 * @param boxes `[N, 4]` as `[x1, y1, x2, y2]` in the same pixel frame; N may be 0.
 * @param classIds `[N]` integer class ids in `[0, numClasses)`.
 */
export function assignAnchors(
  anchors: tf.Tensor2D,
  boxes: tf.Tensor2D,
  classIds: tf.Tensor1D,
  options: AnchorAssignmentOptions,
): AnchorTargets {
  const { numClasses, positiveIou = 0.5, negativeIou = 0.4, matchLowQuality = false } = options;
  if (boxes.rank !== 2 || boxes.shape[1] !== 4) throw new InvalidArgumentError('boxes', 'a [N, 4] tensor', formatShape(boxes.shape));
  if (classIds.rank !== 1 || classIds.shape[0] !== boxes.shape[0]) {
    throw new InvalidArgumentError('classIds', `a [${boxes.shape[0]}] tensor`, formatShape(classIds.shape));
  }
  if (!(negativeIou <= positiveIou)) {
    throw new InvalidArgumentError('negativeIou', `at most positiveIou (${positiveIou})`, String(negativeIou));
  }
  const anchorCount = anchors.shape[0];
  if (boxes.shape[0] === 0) {
    return {
      classTargets: tf.zeros([anchorCount, numClasses]),
      boxTargets: tf.zeros([anchorCount, 4]),
      anchorState: tf.zeros([anchorCount]),
      numPositives: tf.scalar(0),
    };
  }
  return tf.tidy(() => {
    let iou = pairwiseIou(swapXY(anchors) as tf.Tensor2D, boxes); // [A, N]
    if (matchLowQuality) {
      // +2 on each box's best anchor lifts it above any real IoU, so it is positive and picks that box.
      const forced = tf.transpose(oneHot(tf.argMax(iou, 0) as tf.Tensor1D, anchorCount)); // [A, N]
      iou = tf.add(iou, tf.mul(forced, 2));
    }
    const bestIou = tf.max(iou, 1); // [A]
    const bestBox = tf.argMax(iou, 1); // [A]
    const positive = tf.cast(tf.greaterEqual(bestIou, positiveIou), 'float32');
    const negative = tf.cast(tf.less(bestIou, negativeIou), 'float32');
    // 1 positive, 0 negative, -1 ignored.
    const anchorState = tf.sub(positive, tf.sub(1, tf.add(positive, negative))) as tf.Tensor1D;
    const matchedClass = tf.gather(classIds, bestBox);
    const classTargets = tf.mul(oneHot(matchedClass as tf.Tensor1D, numClasses), tf.expandDims(positive, 1)) as tf.Tensor2D;
    const deltas = encodeBoxes(tf.gather(boxes, bestBox), anchors);
    const boxTargets = tf.mul(deltas, tf.expandDims(positive, 1)) as tf.Tensor2D;
    return { classTargets, boxTargets, anchorState, numPositives: tf.sum(positive) as tf.Scalar };
  });
}

/** Float one-hot rows `[K, depth]`. tf.oneHot refuses depth 1, which a single-class detector needs. */
function oneHot(indices: tf.Tensor1D, depth: number): tf.Tensor2D {
  return tf.tidy(() => {
    const asInt = tf.cast(indices, 'int32') as tf.Tensor1D;
    if (depth === 1) return tf.cast(tf.equal(tf.reshape(asInt, [-1, 1]), 0), 'float32') as tf.Tensor2D;
    // tf.oneHot is one pass; a broadcast equality is ~20x slower on wasm at [anchors, classes].
    return tf.cast(tf.oneHot(asInt, depth), 'float32') as tf.Tensor2D;
  });
}
