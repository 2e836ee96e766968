import * as tf from '@tensorflow/tfjs-core';

import { InvalidArgumentError, formatShape } from '@edet/tensor';

import { coordinates, fromCoordinates } from './coordinates.js';

function requireBoxes(name: string, tensor: tf.Tensor): void {
  if (tensor.rank < 1 || tensor.shape[tensor.rank - 1] !== 4) {
    throw new InvalidArgumentError(name, 'a tensor whose last dimension is 4', formatShape(tensor.shape));
  }
}

/** Centres and sizes of `[y1, x1, y2, x2]` anchors, each `[1, ...]`; called inside a tidy. */
function anchorGeometry(anchors: tf.Tensor) {
  const [ay1, ax1, ay2, ax2] = coordinates(anchors);
  // Same operation order as the reference so the float32 results agree to the last few ulps.
  return {
    yCentreA: tf.div(tf.add(ay1, ay2), 2),
    xCentreA: tf.div(tf.add(ax1, ax2), 2),
    heightA: tf.sub(ay2, ay1),
    widthA: tf.sub(ax2, ax1),
  };
}

/**
 * Applies regression deltas to anchors (zylo117 `BBoxTransform`, no variance factors):
 * `yc = dy*ha + yca`, `xc = dx*wa + xca`, `h = exp(dh)*ha`, `w = exp(dw)*wa`.
 *
 * @param regression `[..., A, 4]` deltas `(dy, dx, dh, dw)`, typically `[N, A, 4]`.
 * @param anchors `[A, 4]` (or any shape that broadcasts against `regression`) as `[y1, x1, y2, x2]`.
 * @returns `[..., A, 4]` boxes `[x1, y1, x2, y2]` (x first). A new tensor the caller disposes.
 */
export function decodeBoxes(regression: tf.Tensor, anchors: tf.Tensor): tf.Tensor {
  requireBoxes('regression', regression);
  requireBoxes('anchors', anchors);
  return tf.tidy(() => {
    const { yCentreA, xCentreA, heightA, widthA } = anchorGeometry(anchors);
    const [dy, dx, dh, dw] = coordinates(regression);
    const width = tf.mul(tf.exp(dw), widthA);
    const height = tf.mul(tf.exp(dh), heightA);
    const yCentre = tf.add(tf.mul(dy, heightA), yCentreA);
    const xCentre = tf.add(tf.mul(dx, widthA), xCentreA);
    const halfWidth = tf.div(width, 2);
    const halfHeight = tf.div(height, 2);
    const x1 = tf.sub(xCentre, halfWidth);
    const y1 = tf.sub(yCentre, halfHeight);
    const x2 = tf.add(xCentre, halfWidth);
    const y2 = tf.add(yCentre, halfHeight);
    return fromCoordinates([x1, y1, x2, y2]);
  });
}

/**
 * The exact inverse of `decodeBoxes`: the deltas that map each anchor onto a box (zylo117's regression
 * targets, without the loss's clamp of box sizes to at least 1 px, which belongs to the loss).
 * `dy = (yc - yca)/ha`, `dx = (xc - xca)/wa`, `dh = log(h/ha)`, `dw = log(w/wa)`.
 *
 * @param boxes `[..., 4]` boxes `[x1, y1, x2, y2]` with positive width and height.
 * @param anchors `[..., 4]` anchors `[y1, x1, y2, x2]`, broadcasting against `boxes`.
 * @returns `[..., 4]` deltas `(dy, dx, dh, dw)`. A new tensor the caller disposes.
 */
export function encodeBoxes(boxes: tf.Tensor, anchors: tf.Tensor): tf.Tensor {
  requireBoxes('boxes', boxes);
  requireBoxes('anchors', anchors);
  return tf.tidy(() => {
    const { yCentreA, xCentreA, heightA, widthA } = anchorGeometry(anchors);
    const [x1, y1, x2, y2] = coordinates(boxes);
    const width = tf.sub(x2, x1);
    const height = tf.sub(y2, y1);
    const xCentre = tf.add(x1, tf.div(width, 2));
    const yCentre = tf.add(y1, tf.div(height, 2));
    return fromCoordinates([
      tf.div(tf.sub(yCentre, yCentreA), heightA),
      tf.div(tf.sub(xCentre, xCentreA), widthA),
      tf.log(tf.div(height, heightA)),
      tf.log(tf.div(width, widthA)),
    ]);
  });
}
