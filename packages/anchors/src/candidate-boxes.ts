import * as tf from '@tensorflow/tfjs-core';

/** Floats per candidate row of `candidateRows`: the deltas, their exponentials and the anchor. */
export const CANDIDATE_ROW = 12;

/**
 * What `candidateBoxes` needs of the candidates, in one `[K, 12]` float32 tensor to read back (instead of
 * the dozens of small ops `decodeBoxes` + `clipBoxes` run on the backend): per candidate its deltas
 * `(dy, dx, dh, dw)`, `exp` of each (the backend's own `exp`, as `decodeBoxes` takes it) and its anchor
 * `[y1, x1, y2, x2]`. Call inside a tidy.
 *
 * @param deltas `[K, 4]` the candidates' deltas; @param anchors `[K, 4]` their anchors (both read as float32).
 */
export function candidateRows(deltas: tf.Tensor, anchors: tf.Tensor): tf.Tensor {
  const float = (tensor: tf.Tensor) => (tensor.dtype === 'float32' ? tensor : tf.cast(tensor, 'float32'));
  const floatDeltas = float(deltas);
  return tf.concat([floatDeltas, tf.exp(floatDeltas), float(anchors)], 1);
}

/**
 * `clipBoxes(decodeBoxes(deltas, anchors), imageSize)` for the rows `candidateRows` gathered, in plain
 * JavaScript with the same float32 operations in the same order: each `+ - * /` of two float32 values
 * rounded to float32 (`Math.fround`) is the float32 operation itself, and `exp` came from the backend, so
 * the boxes are bit for bit those of the tensor ops (clipping as tfjs's cpu `maximum` / `minimum`: NaN
 * stays NaN).
 *
 * @param rows `K` rows of `CANDIDATE_ROW` floats, as `candidateRows` read back.
 * @param imageSize `[height, width]` of the network input.
 * @returns `K` boxes `[x1, y1, x2, y2]`, flat.
 */
export function candidateBoxes(rows: Float32Array, imageSize: readonly [number, number]): Float32Array {
  const f = Math.fround;
  const count = rows.length / CANDIDATE_ROW;
  const boxes = new Float32Array(count * 4);
  const maxX = f(imageSize[1] - 1);
  const maxY = f(imageSize[0] - 1);
  for (let k = 0, at = 0; k < count; k++, at += CANDIDATE_ROW) {
    const dy = rows[at], dx = rows[at + 1], expDh = rows[at + 6], expDw = rows[at + 7];
    const ay1 = rows[at + 8], ax1 = rows[at + 9], ay2 = rows[at + 10], ax2 = rows[at + 11];
    // decodeBoxes' order: anchor geometry, sizes, centres, halves, corners.
    const yCentreA = f(f(ay1 + ay2) / 2);
    const xCentreA = f(f(ax1 + ax2) / 2);
    const heightA = f(ay2 - ay1);
    const widthA = f(ax2 - ax1);
    const width = f(expDw * widthA);
    const height = f(expDh * heightA);
    const yCentre = f(f(dy * heightA) + yCentreA);
    const xCentre = f(f(dx * widthA) + xCentreA);
    const halfWidth = f(width / 2);
    const halfHeight = f(height / 2);
    boxes[4 * k] = Math.max(f(xCentre - halfWidth), 0);
    boxes[4 * k + 1] = Math.max(f(yCentre - halfHeight), 0);
    boxes[4 * k + 2] = Math.min(f(xCentre + halfWidth), maxX);
    boxes[4 * k + 3] = Math.min(f(yCentre + halfHeight), maxY);
  }
  return boxes;
}
