import * as tf from '@tensorflow/tfjs-core';
import { assignAnchors, decodeBoxes } from '@edet/anchors';
import { ciouLoss, diouLoss, giouLoss, huberLoss, iouLoss, sigmoidFocalLoss, smoothL1Loss } from '@edet/losses';

/** Which box regression loss `getLoss` uses. */
export type BoxLossKind = 'smooth-l1' | 'huber' | 'iou' | 'giou' | 'diou' | 'ciou';

/** Options of `getLoss`. Defaults follow the official recipe except `gamma` (2.0, the paper's value). */
export interface LossOptions {
  /** Focal loss alpha (default 0.25). */
  alpha?: number;
  /** Focal loss gamma (default 2.0; the official training uses 1.5). */
  gamma?: number;
  /** Box loss (default `smooth-l1` on encoded deltas). IoU-family losses act on decoded boxes. */
  boxLoss?: BoxLossKind;
  /** Weight of the box loss in the total (default 50 for delta losses, 1 for IoU-family losses). */
  boxLossWeight?: number;
  /** Smooth L1 transition point (default 1/9). */
  smoothL1Beta?: number;
  /** Huber delta (default 0.1, the official value). */
  huberDelta?: number;
  /** Anchor matching thresholds (defaults 0.5 and 0.4) and forced best-anchor matches (default false). */
  positiveIou?: number;
  negativeIou?: number;
  matchLowQuality?: boolean;
}

/** The loss and its parts, scalars. New tensors the caller disposes. */
export interface LossParts {
  loss: tf.Scalar;
  classificationLoss: tf.Scalar;
  boxLoss: tf.Scalar;
}

const iouLosses = { iou: iouLoss, giou: giouLoss, diou: diouLoss, ciou: ciouLoss } as const;

/**
 * Focal loss over every non-ignored anchor plus a box loss over positive anchors, both summed over the batch
 * and divided by the batch's number of positive anchors (at least 1), as the official EfficientDet does.
 *
 * @param logits `[N, A, C]` class logits (before the sigmoid).
 * @param regression `[N, A, 4]` box deltas `(dy, dx, dh, dw)`.
 * @param anchors `[A, 4]` anchors `[y1, x1, y2, x2]`.
 * @param targets one `[Ni, 5]` tensor per image, rows `[x1, y1, x2, y2, classId]` (already validated).
 */
export function detectionLoss(
  logits: tf.Tensor3D,
  regression: tf.Tensor3D,
  anchors: tf.Tensor2D,
  targets: readonly tf.Tensor2D[],
  numClasses: number,
  options: LossOptions = {},
): LossParts {
  const kind = options.boxLoss ?? 'smooth-l1';
  const boxWeight = options.boxLossWeight ?? (kind === 'smooth-l1' || kind === 'huber' ? 50 : 1);
  return tf.tidy(() => {
    const perImage = targets.map((target) =>
      assignAnchors(
        anchors,
        tf.slice(target, [0, 0], [-1, 4]) as tf.Tensor2D,
        tf.reshape(tf.slice(target, [0, 4], [-1, 1]), [-1]) as tf.Tensor1D,
        {
          numClasses,
          positiveIou: options.positiveIou,
          negativeIou: options.negativeIou,
          matchLowQuality: options.matchLowQuality,
        },
      ),
    );
    const classTargets = tf.stack(perImage.map((t) => t.classTargets)) as tf.Tensor3D; // [N, A, C]
    const anchorState = tf.stack(perImage.map((t) => t.anchorState)) as tf.Tensor2D; // [N, A]
    const boxTargets = tf.stack(perImage.map((t) => t.boxTargets)) as tf.Tensor3D; // [N, A, 4]
    const numPositives = tf.maximum(tf.addN(perImage.map((t) => t.numPositives)), 1);
    const notIgnored = tf.expandDims(tf.cast(tf.notEqual(anchorState, -1), 'float32'), 2); // [N, A, 1]
    const positive = tf.expandDims(tf.cast(tf.equal(anchorState, 1), 'float32'), 2); // [N, A, 1]

    const focal = sigmoidFocalLoss(logits, classTargets, {
      alpha: options.alpha ?? 0.25,
      gamma: options.gamma ?? 2.0,
      weights: notIgnored,
      reduction: 'sum',
    });
    const classificationLoss = tf.div(focal, numPositives) as tf.Scalar;

    let boxSum: tf.Tensor;
    let boxNormaliser: tf.Tensor = numPositives;
    if (kind === 'smooth-l1') {
      boxSum = smoothL1Loss(regression, boxTargets, { beta: options.smoothL1Beta ?? 1 / 9, weights: positive, reduction: 'sum' });
      boxNormaliser = tf.mul(numPositives, 4);
    } else if (kind === 'huber') {
      boxSum = huberLoss(regression, boxTargets, { delta: options.huberDelta ?? 0.1, weights: positive, reduction: 'sum' });
      boxNormaliser = tf.mul(numPositives, 4);
    } else {
      const predicted = decodeBoxes(regression, anchors);
      const expected = decodeBoxes(boxTargets, anchors);
      boxSum = iouLosses[kind](predicted, expected, { weights: tf.squeeze(positive, [2]), reduction: 'sum' });
    }
    const boxLoss = tf.mul(tf.div(boxSum, boxNormaliser), boxWeight) as tf.Scalar;
    return { loss: tf.add(classificationLoss, boxLoss) as tf.Scalar, classificationLoss, boxLoss };
  });
}
