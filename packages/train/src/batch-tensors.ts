import * as tf from '@tensorflow/tfjs-core';
import type { Batch } from '@edet/data';

/** The model inputs of a batch: `x` `[N, S, S, 3]` (channels last) and one `[Ni, 5]` target per image. New tensors the caller disposes. */
export function batchTensors(batch: Batch): { x: tf.Tensor4D; targets: tf.Tensor2D[] } {
  const n = batch.samples.length;
  const x = tf.tensor4d(batch.pixels, [n, batch.size, batch.size, 3]);
  const targets = batch.boxes.map((boxes) => tf.tensor2d(Float32Array.from(boxes.flat()), [boxes.length, 5]));
  return { x, targets };
}
