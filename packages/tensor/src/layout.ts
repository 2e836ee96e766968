import * as tf from '@tensorflow/tfjs-core';

/**
 * How a parameter is laid out in a checkpoint versus in tfjs. Checkpoints use PyTorch layouts; tfjs kernels
 * want channels last. This file is the only place that converts between the two.
 *
 * - `conv`: checkpoint `[out, in, kh, kw]`, tfjs `[kh, kw, in, out]`.
 * - `depthwise`: checkpoint `[channels, 1, kh, kw]`, tfjs `[kh, kw, channels, 1]`.
 * - `linear`: checkpoint `[out, in]`, tfjs `[in, out]`.
 * - `plain`: identical in both (biases, batch-norm vectors, fusion weights).
 */
export type ParameterLayout = 'conv' | 'depthwise' | 'linear' | 'plain';

const toTfjsPermutation: Record<ParameterLayout, number[] | null> = {
  conv: [2, 3, 1, 0],
  depthwise: [2, 3, 0, 1],
  linear: [1, 0],
  plain: null,
};

const toCheckpointPermutation: Record<ParameterLayout, number[] | null> = {
  conv: [3, 2, 0, 1],
  depthwise: [2, 3, 0, 1],
  linear: [1, 0],
  plain: null,
};

function permute(shape: readonly number[], permutation: number[] | null): number[] {
  return permutation ? permutation.map((axis) => shape[axis]) : [...shape];
}

/** Shape a tfjs-layout parameter has in a checkpoint. */
export function checkpointShape(layout: ParameterLayout, tfjsShape: readonly number[]): number[] {
  return permute(tfjsShape, toCheckpointPermutation[layout]);
}

/** Returns a new tensor in checkpoint layout. The caller disposes it. */
export function toCheckpointLayout(layout: ParameterLayout, value: tf.Tensor): tf.Tensor {
  const permutation = toCheckpointPermutation[layout];
  return permutation ? tf.transpose(value, permutation) : tf.clone(value);
}

/** Returns a new tensor in tfjs layout. The caller disposes it. */
export function toTfjsLayout(layout: ParameterLayout, value: tf.Tensor): tf.Tensor {
  const permutation = toTfjsPermutation[layout];
  return permutation ? tf.transpose(value, permutation) : tf.clone(value);
}
