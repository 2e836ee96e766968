import * as tf from '@tensorflow/tfjs-core';

import { defineGradient, passThrough, placeAxis, reduceToShape, single } from './util.js';

/**
 * Gradients of the kernels that move values without changing them: reshapes, transposes, tiling,
 * broadcasting, padding, concatenation, stacking, splitting, reversal and space/batch shuffles. Each
 * gradient applies the inverse movement to `dy` (summing where the forward copied a value several times).
 */

/** The per-output `dy` list of a multi-output kernel (the engine passes a bare tensor when there is one). */
function asList(dy: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  return Array.isArray(dy) ? dy : [dy];
}

export const reshapeGradient = defineGradient({
  kernelName: 'Reshape',
  inputsToSave: ['x'],
  gradFunc: (dy, [x]) => ({ x: () => tf.reshape(single(dy), x.shape) }),
});

export const expandDimsGradient = defineGradient({
  kernelName: 'ExpandDims',
  inputsToSave: ['input'],
  gradFunc: (dy, [input]) => ({ input: () => tf.reshape(single(dy), input.shape) }),
});

export const transposeGradient = defineGradient<{ perm: number[] }>({
  kernelName: 'Transpose',
  gradFunc: (dy, _saved, { perm }) => {
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return { x: () => tf.transpose(single(dy), inverse) };
  },
});

/**
 * Tiling repeats x reps[i] times along axis i, so dy summed over the repeats of each axis is x's gradient.
 * One axis at a time, dy viewed as [outer, reps, size * inner]: a rank-3 sum, where viewing all of dy at
 * once as [reps0, x0, reps1, x1, ...] needs a transpose of twice x's rank, which tfjs-backend-webgl 4.22 has
 * no packed shader for above rank 6 (a rank-6 broadcast in the loss reaches it).
 */
export const tileGradient = defineGradient<{ reps: number[] }>({
  kernelName: 'Tile',
  inputsToSave: ['x'],
  gradFunc: (dy, [x], { reps }) => ({
    x: () => {
      let g = single(dy);
      // Nothing to sum (a zero rep or an empty x): zeros, without asking tfjs-backend-webgpu 4.22 to reduce
      // an empty tensor (it fails to size the buffer).
      if (g.size === 0) return tf.zeros(x.shape);
      for (let axis = 0; axis < x.rank; axis++) {
        if (reps[axis] === 1) continue;
        const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
        const rest = g.shape.slice(axis + 1);
        const restSize = rest.reduce((a, b) => a * b, 1);
        const summed = tf.sum(tf.reshape(g, [outer, reps[axis], x.shape[axis] * restSize]), 1);
        g = tf.reshape(summed, [...x.shape.slice(0, axis + 1), ...rest]);
      }
      return tf.reshape(g, x.shape);
    },
  }),
});

export const broadcastToGradient = defineGradient({
  kernelName: 'BroadcastTo',
  inputsToSave: ['x'],
  gradFunc: (dy, [x]) => ({ x: () => reduceToShape(single(dy), x.shape) }),
});

// Constant padding: the gradient is the un-padded window of dy.
export const padV2Gradient = defineGradient<{ paddings: Array<[number, number]> }>({
  kernelName: 'PadV2',
  inputsToSave: ['x'],
  gradFunc: (dy, [x], { paddings }) => ({
    x: () =>
      tf.slice(
        single(dy),
        paddings.map((p) => p[0]),
        x.shape,
      ),
  }),
});

/**
 * Mirror padding copies edge values into the padding, so the gradient adds the padded parts of dy, reversed,
 * back onto the entries they were copied from. `reflect` leaves the edge itself out (`[3 2 | 1 2 3]`),
 * `symmetric` repeats it (`[2 1 | 1 2 3]`). Done one axis at a time.
 */
export const mirrorPadGradient = defineGradient<{ paddings: Array<[number, number]>; mode: 'reflect' | 'symmetric' }>({
  kernelName: 'MirrorPad',
  inputsToSave: ['x'],
  gradFunc: (dy, [x], { paddings, mode }) => ({
    x: () => {
      let g = single(dy);
      const shift = mode === 'reflect' ? 1 : 0;
      x.shape.forEach((n, axis) => {
        const [before, after] = paddings[axis];
        if (before === 0 && after === 0) return;
        const part = (start: number, size: number) =>
          tf.slice(
            g,
            g.shape.map((_, i) => (i === axis ? start : 0)),
            g.shape.map((s, i) => (i === axis ? size : s)),
          );
        let folded = part(before, n);
        if (before > 0) {
          // dy[i] (i < before) came from x[before - i - 1 + shift]; reversed, they cover x[shift, shift + before).
          const head = tf.reverse(part(0, before), axis);
          folded = tf.add(folded, placeAxis(head, axis, shift, n));
        }
        if (after > 0) {
          // dy[before + n + j] came from x[n - 1 - j - shift]; reversed, they end at x[n - 1 - shift].
          const tail = tf.reverse(part(before + n, after), axis);
          folded = tf.add(folded, placeAxis(tail, axis, n - shift - after, n));
        }
        g = folded;
      });
      // All-zero paddings leave g as dy itself, which a gradient must never return (see reduceToShape).
      return g === dy ? passThrough(g) : g;
    },
  }),
});

// Concatenation: split dy back into the inputs' sizes along the axis.
export const concatGradient = defineGradient<{ axis: number }>({
  kernelName: 'Concat',
  saveAllInputs: true,
  gradFunc: (dy, saved, { axis }) => {
    const g = single(dy);
    const $axis = tf.util.parseAxisParam(axis, saved[0].shape)[0];
    const parts = tf.split(
      g,
      saved.map((t) => t.shape[$axis]),
      $axis,
    );
    return Object.fromEntries(parts.map((part, i) => [String(i), () => part]));
  },
});

export const packGradient = defineGradient<{ axis: number }>({
  kernelName: 'Pack',
  gradFunc: (dy, _saved, { axis }) => {
    const parts = tf.unstack(single(dy), axis);
    return Object.fromEntries(parts.map((part, i) => [String(i), () => part]));
  },
});

// Unpack has one output per slice; outputs off the gradient path arrive as zeros from the engine.
export const unpackGradient = defineGradient<{ axis: number }>({
  kernelName: 'Unpack',
  gradFunc: (dy, _saved, { axis }) => ({ value: () => tf.stack(asList(dy), axis) }),
});

export const splitVGradient = defineGradient<{ axis: number }>({
  kernelName: 'SplitV',
  gradFunc: (dy, _saved, { axis }) => ({ x: () => tf.concat(asList(dy), axis) }),
});

export const reverseGradient = defineGradient<{ dims: number | number[] }>({
  kernelName: 'Reverse',
  gradFunc: (dy, _saved, { dims }) => ({ x: () => tf.reverse(single(dy), dims) }),
});

// SpaceToBatchND and BatchToSpaceND are each other's transposes (padding and cropping swap roles).
export const spaceToBatchNDGradient = defineGradient<{ blockShape: number[]; paddings: number[][] }>({
  kernelName: 'SpaceToBatchND',
  gradFunc: (dy, _saved, { blockShape, paddings }) => ({
    x: () => tf.batchToSpaceND(single(dy), blockShape, paddings),
  }),
});

export const batchToSpaceNDGradient = defineGradient<{ blockShape: number[]; crops: number[][] }>({
  kernelName: 'BatchToSpaceND',
  gradFunc: (dy, _saved, { blockShape, crops }) => ({
    x: () => tf.spaceToBatchND(single(dy), blockShape, crops),
  }),
});

/** Every gradient of this family. */
export const shapeGradients: tf.GradConfig[] = [
  reshapeGradient,
  expandDimsGradient,
  transposeGradient,
  tileGradient,
  broadcastToGradient,
  padV2Gradient,
  mirrorPadGradient,
  concatGradient,
  packGradient,
  unpackGradient,
  splitVGradient,
  reverseGradient,
  spaceToBatchNDGradient,
  batchToSpaceNDGradient,
];
