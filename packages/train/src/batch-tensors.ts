import * as tf from '@tensorflow/tfjs-core';
import { type Batch, inputFrame } from '@edet/data';

/**
 * The model inputs of a batch: `x` `[N, H, W, 3]` (channels last; `[H, W]` the frame of `batch.size`) and
 * one `[Ni, 5]` target per image. New tensors the caller disposes.
 */
export function batchTensors(batch: Batch): { x: tf.Tensor4D; targets: tf.Tensor2D[] } {
  const n = batch.samples.length;
  const [height, width] = inputFrame(batch.size);
  const x = tf.tensor4d(batch.pixels, [n, height, width, 3]);
  const targets = batch.boxes.map((boxes) => tf.tensor2d(Float32Array.from(boxes.flat()), [boxes.length, 5]));
  return { x, targets };
}
