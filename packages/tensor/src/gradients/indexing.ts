import * as tf from '@tensorflow/tfjs-core';

import { broadcastToShape, defineGradient, maskGrad, single, spreadAxis, zerosGrad } from './util.js';

/**
 * Gradients of the kernels that pick entries: `Slice`, `StridedSlice`, `GatherV2`, `GatherNd`, `Select`
 * and `TopK`. The gradient puts `dy` back where the entries came from, summing repeats. Gathers scatter
 * with `ScatterNd` (which sums duplicate indices and exists on the cpu and wasm backends; wasm has no
 * `UnsortedSegmentSum`).
 */

export const sliceGradient = defineGradient<{ begin: number | number[]; size: number | number[] }>({
  kernelName: 'Slice',
  inputsToSave: ['x'],
  gradFunc: (dy, [x], { begin, size }) => ({
    x: () => {
      const [start, extent] = tf.slice_util.parseSliceParams(x, begin, size);
      return tf.pad(
        single(dy),
        x.shape.map((n, i): [number, number] => [start[i], n - start[i] - extent[i]]),
      );
    },
  }),
});

interface StridedSliceAttrs {
  begin: number[];
  end: number[];
  strides: number[];
  beginMask: number;
  endMask: number;
  ellipsisMask: number;
  newAxisMask: number;
  shrinkAxisMask: number;
}

/**
 * `StridedSlice`: tfjs's own `sliceInfo` resolves the masks into a dense begin / end / stride per input
 * axis; dy (after undoing new and shrunk axes) is spread back along each axis at those positions. A negative
 * stride walks backwards, so that axis is reversed first and spread from its lowest position.
 */
export const stridedSliceGradient = defineGradient<StridedSliceAttrs>({
  kernelName: 'StridedSlice',
  inputsToSave: ['x'],
  gradFunc: (dy, [x], a) => ({
    x: () => {
      const info = tf.slice_util.sliceInfo(
        x.shape,
        a.begin,
        a.end,
        a.strides,
        a.beginMask,
        a.endMask,
        a.ellipsisMask,
        a.newAxisMask,
        a.shrinkAxisMask,
      );
      const counts = x.shape.map((_, i) => {
        const length = info.end[i] - info.begin[i];
        const stride = info.strides[i];
        if (length === 0 || length < 0 !== stride < 0) return 0;
        return Math.ceil(Math.abs(length) / Math.abs(stride));
      });
      if (counts.some((c) => c === 0)) return zerosGrad(x);
      let g = tf.reshape(single(dy), counts);
      x.shape.forEach((n, axis) => {
        const stride = info.strides[axis];
        if (stride > 0) {
          g = spreadAxis(g, axis, info.begin[axis], stride, n);
        } else {
          const lowest = info.begin[axis] + (counts[axis] - 1) * stride;
          g = spreadAxis(tf.reverse(g, axis), axis, lowest, -stride, n);
        }
      });
      return g;
    },
  }),
});

/**
 * `GatherV2` along `axis` with `batchDims` leading batch axes. Viewing x as `[B, outer, n, inner]` and dy as
 * `[B, outer, K, inner]`, every dy row `(b, k)` is added to x row `(b, indices[b, k])`: one `scatterND` over
 * the flattened `(b, row)` index.
 */
export const gatherV2Gradient = defineGradient<{ axis: number; batchDims: number }>({
  kernelName: 'GatherV2',
  inputsToSave: ['x', 'indices'],
  gradFunc: (dy, [x, indices], attrs) => ({
    x: () => {
      const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0];
      const batchDims = attrs.batchDims < 0 ? attrs.batchDims + indices.rank : attrs.batchDims;
      const product = (dims: number[]) => dims.reduce((p, d) => p * d, 1);
      const batch = product(x.shape.slice(0, batchDims));
      const outer = product(x.shape.slice(batchDims, axis));
      const n = x.shape[axis];
      const inner = product(x.shape.slice(axis + 1));
      const k = product(indices.shape.slice(batchDims));
      const rows = tf.reshape(tf.transpose(tf.reshape(single(dy), [batch, outer, k, inner]), [0, 2, 1, 3]), [
        batch * k,
        outer * inner,
      ]);
      // Built as int32 directly: tf.mul(int32, number) would upcast to float32, which scatterND rejects.
      const offsets = tf.range(0, batch * n, n, 'int32');
      const flatIndices = tf.add(tf.reshape(tf.cast(indices, 'int32'), [batch, k]), tf.reshape(offsets, [batch, 1]));
      const summed = tf.scatterND(tf.reshape(flatIndices, [batch * k, 1]), rows, [batch * n, outer * inner]);
      const unflat = tf.transpose(tf.reshape(summed, [batch, n, outer, inner]), [0, 2, 1, 3]);
      return tf.reshape(unflat, x.shape);
    },
    indices: () => zerosGrad(indices),
  }),
});

// GatherNd's exact transpose is ScatterNd with the same indices.
export const gatherNdGradient = defineGradient({
  kernelName: 'GatherNd',
  inputsToSave: ['params', 'indices'],
  gradFunc: (dy, [params, indices]) => ({
    params: () => tf.scatterND(tf.cast(indices, 'int32'), single(dy), params.shape),
    indices: () => zerosGrad(indices),
  }),
});

/** `Select(condition, t, e)`: dy goes to `t` where the condition holds and to `e` elsewhere. */
export const selectGradient = defineGradient({
  kernelName: 'Select',
  inputsToSave: ['condition'],
  gradFunc: (dy, [condition]) => {
    const g = single(dy);
    // A rank-1 condition picks whole rows of t / e: give it trailing unit axes so it broadcasts per row.
    const mask = () =>
      condition.rank < g.rank && condition.rank === 1
        ? tf.reshape(condition, [condition.shape[0], ...new Array(g.rank - 1).fill(1)])
        : condition;
    return {
      condition: () => zerosGrad(condition),
      t: () => maskGrad(g, broadcastToShape(mask(), g.shape)),
      e: () => maskGrad(g, broadcastToShape(tf.logicalNot(mask()), g.shape)),
    };
  },
});

/** `TopK`: the gradient of the values output goes back to the positions the indices output names. */
export const topKGradient = defineGradient({
  kernelName: 'TopK',
  inputsToSave: ['x'],
  outputsToSave: [false, true],
  gradFunc: (dy, [x, indices]) => ({
    x: () => {
      const dValues = (dy as tf.Tensor[])[0];
      const n = x.shape[x.rank - 1];
      const k = indices.shape[indices.rank - 1];
      const rows = x.size / Math.max(n, 1);
      const offsets = tf.reshape(tf.range(0, rows * n, n, 'int32'), [rows, 1]);
      const flatIndices = tf.add(tf.reshape(indices, [rows, k]), offsets);
      const summed = tf.scatterND(tf.reshape(flatIndices, [rows * k, 1]), tf.reshape(dValues, [rows * k]), [rows * n]);
      return tf.reshape(summed, x.shape);
    },
  }),
});

/** Every gradient of this family. */
export const indexingGradients: tf.GradConfig[] = [
  sliceGradient,
  stridedSliceGradient,
  gatherV2Gradient,
  gatherNdGradient,
  selectGradient,
  topKGradient,
];
