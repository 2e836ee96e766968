import * as tf from '@tensorflow/tfjs-core';

import { readInto } from '@edet/tensor';

import type { ScratchArrays } from './scratch-arrays.js';

/** What `candidateBoxes` decodes: the candidates' deltas and their exponentials, and every anchor. */
export interface CandidateSource {
  /** `[K * 4]` the candidates' deltas `(dy, dx, dh, dw)`, float32, in candidate order. */
  deltas: Float32Array;
  /** `exp` of each of those deltas, computed by the backend (its own `exp`, as `decodeBoxes` takes it). */
  expDeltas: Float32Array;
  /** `[A * 4]` anchors `[y1, x1, y2, x2]`, float32. */
  anchors: Float32Array;
  /** `A`, the anchors of one image. */
  anchorCount: number;
}

// Anchors are the same tensor from call to call (tensors never change): their values, read once each.
const anchorValues = new WeakMap<tf.Tensor, Float32Array>();

/** A float32 tensor's values, or those of its float32 cast, into `target`. */
async function readFloat32(tensor: tf.Tensor, target: Float32Array): Promise<void> {
  if (tensor.dtype === 'float32') return readInto(tensor, target);
  const cast = tf.cast(tensor, 'float32');
  try {
    await readInto(cast, target);
  } finally {
    cast.dispose();
  }
}

/**
 * Reads what `candidateBoxes` needs for the candidates `flatIndices` (anchor `a` of image `n` is
 * `n * A + a`): `regression` `[N, A, 4]` into `scratch`, from which their deltas are picked in JavaScript,
 * then `exp` of those on the backend (the bits `decodeBoxes` gets); and the anchors `[A, 4]` (or
 * `[1, A, 4]`), read once per anchors tensor and kept while it lives. Both are read as float32. Picking the
 * deltas here costs less than gathering them on the backend (tfjs's wasm `GatherV2` took 1.2 ms for 5,000
 * rows; reading every anchor's four deltas is a twentieth of the scores pass before it).
 *
 * Memory: disposes what it makes; the inputs stay the caller's. The arrays returned are `scratch`'s.
 */
export async function readCandidateSource(
  regression: tf.Tensor,
  anchors: tf.Tensor,
  flatIndices: Int32Array,
  scratch: ScratchArrays,
): Promise<CandidateSource> {
  const anchorCount = anchors.size / 4;
  const allDeltas = scratch.float32('regression', regression.size);
  await readFloat32(regression, allDeltas);
  const count = flatIndices.length;
  const deltas = scratch.float32('deltas', count * 4);
  for (let k = 0; k < count; k++) {
    const from = 4 * flatIndices[k];
    deltas[4 * k] = allDeltas[from];
    deltas[4 * k + 1] = allDeltas[from + 1];
    deltas[4 * k + 2] = allDeltas[from + 2];
    deltas[4 * k + 3] = allDeltas[from + 3];
  }
  const expDeltas = scratch.float32('expDeltas', count * 4);
  if (count > 0) {
    const exp = tf.tidy(() => tf.exp(tf.tensor2d(deltas, [count, 4])));
    try {
      await readInto(exp, expDeltas);
    } finally {
      exp.dispose();
    }
  }
  let anchorFloats = anchorValues.get(anchors);
  if (anchorFloats === undefined) {
    anchorFloats = new Float32Array(anchors.size);
    await readFloat32(anchors, anchorFloats);
    anchorValues.set(anchors, anchorFloats);
  }
  return { deltas, expDeltas, anchors: anchorFloats, anchorCount };
}

/**
 * `clipBoxes(decodeBoxes(deltas, anchors), imageSize)` for the candidates `flatIndices` that `source` was
 * read for (anchor `a` of image `n` is `n * A + a`), in plain JavaScript with the same float32 operations
 * in the same order: each `+ - * /` of two float32 values rounded to float32 (`Math.fround`) is the float32
 * operation itself, and `exp` came from the backend, so the boxes are bit for bit those of the tensor ops
 * (clipping as tfjs's cpu `maximum` / `minimum`: NaN stays NaN).
 *
 * @param imageSize `[height, width]` of the network input.
 * @returns `K` boxes `[x1, y1, x2, y2]`, flat, for the `K` candidates (a new array).
 */
export function candidateBoxes(source: CandidateSource, flatIndices: Int32Array, imageSize: readonly [number, number]): Float32Array {
  const f = Math.fround;
  const { deltas, expDeltas, anchors, anchorCount } = source;
  const count = flatIndices.length;
  const boxes = new Float32Array(count * 4);
  const maxX = f(imageSize[1] - 1);
  const maxY = f(imageSize[0] - 1);
  for (let k = 0, at = 0; k < count; k++, at += 4) {
    const anchorAt = 4 * (flatIndices[k] % anchorCount);
    const dy = deltas[at], dx = deltas[at + 1], expDh = expDeltas[at + 2], expDw = expDeltas[at + 3];
    const ay1 = anchors[anchorAt], ax1 = anchors[anchorAt + 1], ay2 = anchors[anchorAt + 2], ax2 = anchors[anchorAt + 3];
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
