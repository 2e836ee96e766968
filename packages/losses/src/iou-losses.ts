import * as tf from '@tensorflow/tfjs-core';

import { checkReduction, checkWeights, reduceLoss, type ReductionOptions } from './reduction.js';
import { stopGradient } from './stop-gradient.js';
import { checkBoxes, checkNumber, checkSameShape } from './validation.js';

/** Options of the IoU-family losses. */
export interface IouLossOptions extends ReductionOptions {
  /**
   * Added to every denominator (union, enclosing area, enclosing diagonal, box height in the aspect term), so
   * zero-area or coincident boxes give finite values and gradients. Default 1e-7.
   */
  epsilon?: number;
}

/** Which member of the family: each adds one penalty to the previous. */
type IouKind = 'iou' | 'giou' | 'diou' | 'ciou';

/** `4 / pi^2`, the scale that maps CIoU's squared angle difference into [0, 1]. */
const ASPECT_SCALE = 4 / (Math.PI * Math.PI);

/**
 * `1 - metric` for one IoU-family metric, per box pair; shared by the four exported losses so the geometry is
 * written once. Boxes are `[x1, y1, x2, y2]` with `x2 >= x1`, `y2 >= y1` (decoded boxes are).
 */
function iouFamilyLoss(kind: IouKind, pred: tf.Tensor, target: tf.Tensor, options: IouLossOptions): tf.Tensor {
  const { epsilon = 1e-7, reduction = 'sum', weights } = options;
  checkBoxes('pred', pred);
  checkSameShape('pred', pred, 'target', target);
  checkNumber('epsilon', epsilon, 'a number > 0', (value) => value > 0);
  checkReduction(reduction);
  checkWeights(weights, pred.shape.slice(0, -1));
  return tf.tidy(() => {
    const axis = pred.rank - 1;
    const [px1, py1, px2, py2] = tf.unstack(tf.cast(pred, 'float32'), axis); // each [...]
    const [tx1, ty1, tx2, ty2] = tf.unstack(tf.cast(target, 'float32'), axis);
    const predWidth = tf.sub(px2, px1);
    const predHeight = tf.sub(py2, py1);
    const targetWidth = tf.sub(tx2, tx1);
    const targetHeight = tf.sub(ty2, ty1);

    // relu: disjoint boxes have a negative overlap extent, which must count as no intersection.
    const interWidth = tf.relu(tf.sub(tf.minimum(px2, tx2), tf.maximum(px1, tx1)));
    const interHeight = tf.relu(tf.sub(tf.minimum(py2, ty2), tf.maximum(py1, ty1)));
    const intersection = tf.mul(interWidth, interHeight);
    const union = tf.sub(tf.add(tf.mul(predWidth, predHeight), tf.mul(targetWidth, targetHeight)), intersection);
    const iou = tf.div(intersection, tf.add(union, epsilon));
    if (kind === 'iou') return reduceLoss(tf.sub(1, iou), reduction, weights);

    // The smallest box enclosing both.
    const enclosingWidth = tf.sub(tf.maximum(px2, tx2), tf.minimum(px1, tx1));
    const enclosingHeight = tf.sub(tf.maximum(py2, ty2), tf.minimum(py1, ty1));
    if (kind === 'giou') {
      const enclosingArea = tf.mul(enclosingWidth, enclosingHeight);
      const emptyFraction = tf.div(tf.sub(enclosingArea, union), tf.add(enclosingArea, epsilon));
      return reduceLoss(tf.sub(1, tf.sub(iou, emptyFraction)), reduction, weights);
    }

    // Squared centre distance over the squared enclosing diagonal; centres doubled (x1 + x2) to save a
    // multiply, hence the 0.25.
    const centreDx = tf.sub(tf.add(px1, px2), tf.add(tx1, tx2));
    const centreDy = tf.sub(tf.add(py1, py2), tf.add(ty1, ty2));
    const centreDistance = tf.mul(tf.add(tf.square(centreDx), tf.square(centreDy)), 0.25);
    const diagonal = tf.add(tf.add(tf.square(enclosingWidth), tf.square(enclosingHeight)), epsilon);
    const diou = tf.sub(iou, tf.div(centreDistance, diagonal));
    if (kind === 'diou') return reduceLoss(tf.sub(1, diou), reduction, weights);

    // Aspect-ratio consistency v, and its trade-off weight alpha held constant in the gradient (Zheng et
    // al. 2020, as their reference code): only v's own gradient moves the box.
    const targetAngle = tf.atan(tf.div(targetWidth, tf.add(targetHeight, epsilon)));
    const predAngle = tf.atan(tf.div(predWidth, tf.add(predHeight, epsilon)));
    const aspect = tf.mul(tf.square(tf.sub(targetAngle, predAngle)), ASPECT_SCALE);
    const tradeOff = stopGradient(tf.div(aspect, tf.add(tf.add(tf.sub(1, iou), aspect), epsilon)));
    const ciou = tf.sub(diou, tf.mul(tradeOff, aspect));
    return reduceLoss(tf.sub(1, ciou), reduction, weights);
  });
}

/**
 * IoU loss `1 - IoU` per box pair. Zero for identical boxes, 1 for disjoint ones (and no gradient there,
 * which is why GIoU/DIoU/CIoU exist).
 *
 * @param pred `[..., 4]` decoded boxes `[x1, y1, x2, y2]`. Not disposed.
 * @param target `[..., 4]` same shape. Not disposed.
 * @returns a new tensor the caller disposes: scalar sum (default) or mean, or `[...]` (one value per box pair)
 *   with `reduction: 'none'`. `weights` broadcast to `[...]`.
 */
export function iouLoss(pred: tf.Tensor, target: tf.Tensor, options: IouLossOptions = {}): tf.Tensor {
  return iouFamilyLoss('iou', pred, target, options);
}

/**
 * Generalised IoU loss `1 - GIoU`, `GIoU = IoU - (C - U) / C` with C the area of the smallest enclosing box and
 * U the union (Rezatofighi et al., 2019). In [0, 2]; disjoint boxes still get a gradient.
 * Shapes and disposal as `iouLoss`.
 */
export function giouLoss(pred: tf.Tensor, target: tf.Tensor, options: IouLossOptions = {}): tf.Tensor {
  return iouFamilyLoss('giou', pred, target, options);
}

/**
 * Distance IoU loss `1 - DIoU`, `DIoU = IoU - rho^2 / c^2` with rho the distance between the box centres and c
 * the diagonal of the smallest enclosing box (Zheng et al., 2020). Shapes and disposal as `iouLoss`.
 */
export function diouLoss(pred: tf.Tensor, target: tf.Tensor, options: IouLossOptions = {}): tf.Tensor {
  return iouFamilyLoss('diou', pred, target, options);
}

/**
 * Complete IoU loss `1 - CIoU`, `CIoU = DIoU - alpha v`, with
 * `v = 4 / pi^2 (atan(w_gt / h_gt) - atan(w / h))^2` and `alpha = v / (1 - IoU + v)` (Zheng et al., 2020).
 * alpha is treated as a constant in the gradient, as in the paper. Widths over heights use `h + epsilon`, so a
 * zero-height box gives a finite but large aspect gradient (about `1 / epsilon` at a zero-size box).
 * Shapes and disposal as `iouLoss`.
 */
export function ciouLoss(pred: tf.Tensor, target: tf.Tensor, options: IouLossOptions = {}): tf.Tensor {
  return iouFamilyLoss('ciou', pred, target, options);
}
