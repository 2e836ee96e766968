import * as tf from '@tensorflow/tfjs-core';

/**
 * Shared pieces of the gradient definitions: the config helper, broadcasting reduction, masks and
 * strided placement. Every function here returns new tensors; the engine runs gradient functions inside
 * `tidy`, so intermediates are freed there.
 */

/** What a gradient function returns: one thunk per input name (`x`, `a`, `b`, or `0`, `1`, ... for lists). */
export type GradientMap = Record<string, () => tf.Tensor>;

/** A tfjs gradient config, typed for its attrs. */
export interface GradientSpec<Attrs> {
  kernelName: string;
  inputsToSave?: string[];
  outputsToSave?: boolean[];
  saveAllInputs?: boolean;
  /** `dy` is one tensor for single-output kernels and a list (one per output) for multi-output kernels. */
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: Attrs) => GradientMap;
}

/** Turns a typed spec into the `GradConfig` that `tf.registerGradient` takes. */
export function defineGradient<Attrs = Record<string, never>>(spec: GradientSpec<Attrs>): tf.GradConfig {
  return spec as unknown as tf.GradConfig;
}

/** The single `dy` of a single-output kernel. */
export function single(dy: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(dy) ? dy[0] : dy;
}

/**
 * Sums a gradient computed at the broadcast shape back to an input's shape: over the leading axes the
 * input lacks and over the axes where the input had size 1.
 */
export function reduceToShape(dy: tf.Tensor, shape: readonly number[]): tf.Tensor {
  // Always a new tensor object, never `dy` itself: the tape disposes accumulated gradients, and two inputs
  // sharing one tensor object would see it freed twice.
  const axes = tf.backend_util.getReductionAxes(shape as number[], dy.shape);
  const summed = axes.length > 0 ? tf.sum(dy, axes) : dy;
  return tf.reshape(summed, shape as number[]);
}

/**
 * `tf.broadcastTo(x, shape)`, also right where `shape` has a size-0 axis that x has as 1: tfjs 4.22's
 * `broadcastTo` then returns x unchanged (it only tiles axes it repeats more than once), a gradient of the
 * wrong shape. An empty target gets an empty tensor.
 */
export function broadcastToShape(x: tf.Tensor, shape: number[]): tf.Tensor {
  return tf.util.sizeFromShape(shape) === 0 ? tf.zeros(shape, x.dtype) : tf.broadcastTo(x, shape);
}

/**
 * `dy` as a new tensor object sharing its data. Gradient functions never return `dy` itself (see
 * `reduceToShape`).
 */
export function passThrough(dy: tf.Tensor): tf.Tensor {
  return tf.clone(dy);
}

/** A float32 zero gradient shaped like `x` (gradients must be float32 even for int or bool inputs). */
export function zerosGrad(x: tf.Tensor): tf.Tensor {
  return tf.zeros(x.shape, 'float32');
}

/**
 * `dy` where `mask` is true, else 0. Uses `where` rather than a multiply so an infinite `dy` in a masked-out
 * position does not become NaN.
 */
export function maskGrad(dy: tf.Tensor, mask: tf.Tensor): tf.Tensor {
  return tf.where(mask, dy, tf.zerosLike(dy));
}

/** Normalises a reduction axis attribute (number, list, null or undefined = all) to sorted positive axes. */
export function reductionAxes(axis: number | number[] | null | undefined, rank: number): number[] {
  const all = Array.from({ length: rank }, (_, i) => i);
  if (axis == null) return all;
  return tf.util.parseAxisParam(axis, new Array(rank).fill(1)).sort((a, b) => a - b);
}

/** `shape` with every axis in `axes` set to 1: the keep-dims shape of a reduction. */
export function keepDimsShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((size, i) => (axes.includes(i) ? 1 : size));
}

/** True when the active backend has a kernel named `kernelName`. */
export function hasKernel(kernelName: string): boolean {
  return tf.getKernel(kernelName, tf.getBackend()) != null;
}

/** Runs a kernel that has no public op (the backward kernels). */
export function runKernel(kernelName: string, inputs: tf.NamedTensorMap, attrs: object): tf.Tensor {
  return tf.engine().runKernel(kernelName, inputs, attrs as tf.NamedAttrMap);
}

/**
 * `t` viewed as `[outer, n, inner]` around `axis` (a reshape, no copy), so that the pads and slices below run
 * at rank 3 or 4 whatever `t`'s rank: tfjs-backend-webgl 4.22's packed pad shader does not compile above
 * rank 4 (it compares its ivec5/ivec6 structs with `lessThan`), and the max-pool gradient spreads rank-4 maps.
 */
function aroundAxis(t: tf.Tensor, axis: number): [number, number, number] {
  const outer = t.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = t.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  return [outer, t.shape[axis], inner];
}

/** `t`'s shape with the size along `axis` replaced by `size`. */
function withAxisSize(t: tf.Tensor, axis: number, size: number): number[] {
  return t.shape.map((s, i) => (i === axis ? size : s));
}

/**
 * Places the entries of `t` along `axis` at positions `start, start + stride, start + 2*stride, ...` of a
 * zero tensor whose size along that axis is `length` (the transpose of a strided slice). Entries that would
 * land outside `[0, length)` must not exist: the caller guarantees `start + (n-1)*stride < length`.
 */
export function spreadAxis(t: tf.Tensor, axis: number, start: number, stride: number, length: number): tf.Tensor {
  const n = t.shape[axis];
  if (n === 0) return tf.zeros(withAxisSize(t, axis, length), t.dtype);
  let spread = t;
  if (stride > 1) {
    // Interleave stride-1 zeros after every entry: [outer, n, inner] -> [outer, n, 1, inner] -> pad the
    // slot to stride -> [.., n*stride, ..].
    const [outer, , inner] = aroundAxis(t, axis);
    const padded = tf.pad(tf.reshape(t, [outer, n, 1, inner]), [[0, 0], [0, 0], [0, stride - 1], [0, 0]]);
    spread = tf.reshape(padded, withAxisSize(t, axis, n * stride));
  }
  return placeAxis(spread, axis, start, length);
}

/**
 * Puts `t` at offset `start` along `axis` inside a zero tensor of size `length` there, cutting off whatever
 * would stick out on either side (used to undo padding: a negative `start` crops the front).
 */
export function placeAxis(t: tf.Tensor, axis: number, start: number, length: number): tf.Tensor {
  const [outer, size, inner] = aroundAxis(t, axis);
  const from = Math.max(0, -start);
  const to = Math.min(size, length - start);
  if (to <= from) return tf.zeros(withAxisSize(t, axis, length), t.dtype);
  const before = Math.max(0, start);
  const after = length - before - (to - from);
  if (from === 0 && to === size && before === 0 && after === 0) return t;
  let result = tf.reshape(t, [outer, size, inner]);
  if (from > 0 || to < size) result = tf.slice(result, [0, from, 0], [outer, to - from, inner]);
  if (before > 0 || after > 0) result = tf.pad(result, [[0, 0], [before, after], [0, 0]]);
  return tf.reshape(result, withAxisSize(t, axis, length));
}
