import type * as tf from '@tensorflow/tfjs-core';

import { InvalidArgumentError, formatShape } from '@edet/tensor';

/**
 * Argument checks shared by the losses. They read only shapes and plain numbers, never tensor values, so
 * they cost no device sync.
 */

/** Throws unless `b` has exactly the shape of `a`. */
export function checkSameShape(nameA: string, a: tf.Tensor, nameB: string, b: tf.Tensor): void {
  if (a.shape.length !== b.shape.length || a.shape.some((size, i) => size !== b.shape[i])) {
    throw new InvalidArgumentError(nameB, `the shape of ${nameA} ${formatShape(a.shape)}`, formatShape(b.shape));
  }
}

/** Throws unless `boxes` is `[..., 4]` with at least one leading axis. */
export function checkBoxes(name: string, boxes: tf.Tensor): void {
  if (boxes.rank < 2 || boxes.shape[boxes.rank - 1] !== 4) {
    throw new InvalidArgumentError(name, 'a [..., 4] tensor of [x1, y1, x2, y2] boxes', formatShape(boxes.shape));
  }
}

/** Throws unless `value` is a finite number accepted by `accept`; `expected` describes the accepted range. */
export function checkNumber(name: string, value: number, expected: string, accept: (value: number) => boolean): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || !accept(value)) {
    throw new InvalidArgumentError(name, expected, String(value));
  }
}
