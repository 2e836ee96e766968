import * as tf from '@tensorflow/tfjs-core';

import { reduceExact } from './reduce-exact.js';
import { type KernelArgs, pointer, simd } from './wasm-backend.js';

/**
 * `Sum` and `Mean` for the wasm backend, taking over the float32 reductions whose axes form one block
 * with kept axes after it: over N, H, W of an NHWC tensor (batch-norm statistics, bias and batch-norm
 * gradients, broadcast-add gradients) and over H, W (global average pooling). The backend's kernels
 * transpose the reduced axes to the end first, which costs several times the sum itself; here the SIMD
 * kernel reads the tensor in place as `[outer, rows, inner]`. Other float32 reductions of a non-empty
 * tensor over a non-empty set of axes go to the backend's own kernel; the rest (int32 and bool tensors,
 * empty tensors, no axes), which that kernel gets wrong, to `reduceExact`.
 */

interface Attrs {
  axis: number | number[];
  keepDims: boolean;
}

/** `[outer, rows, inner]` when `axes` (sorted) are one block followed by kept axes of 4+ elements. */
function middleBlock(shape: number[], axes: number[]): [number, number, number] | null {
  if (axes.length === 0) return null;
  for (let i = 1; i < axes.length; i++) if (axes[i] !== axes[i - 1] + 1) return null;
  const first = axes[0];
  const last = axes[axes.length - 1];
  const inner = tf.util.sizeFromShape(shape.slice(last + 1));
  // Innermost reductions need no transpose in the backend's kernel; narrow rows would leave lanes idle.
  if (last === shape.length - 1 || inner < 4) return null;
  return [tf.util.sizeFromShape(shape.slice(0, first)), tf.util.sizeFromShape(shape.slice(first, last + 1)), inner];
}

function makeReduction(mean: boolean, fallback: tf.KernelFunc) {
  return function reduction(args: KernelArgs<Attrs>): tf.TensorInfo {
    const { inputs, backend, attrs } = args;
    const { x } = inputs;
    const axes = [...new Set(tf.util.parseAxisParam(attrs.axis, x.shape))].sort((a, b) => a - b);
    // Decided before dispatch, so the hot float32 path is untouched.
    if (x.dtype !== 'float32' || axes.length === 0 || tf.util.sizeFromShape(x.shape) === 0) {
      return reduceExact(backend, x, axes, attrs.keepDims, mean);
    }
    const block = middleBlock(x.shape, axes);
    if (block === null) return fallback(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
    const [outer, rows, inner] = block;
    const kept = x.shape.filter((_, i) => !axes.includes(i));
    const shape = attrs.keepDims ? x.shape.map((size, i) => (axes.includes(i) ? 1 : size)) : kept;
    const out = backend.makeOutput(shape, 'float32');
    const scale = mean ? 1 / rows : 1;
    simd(backend).reduceMiddle(pointer(backend, x), pointer(backend, out), outer, rows, inner, scale);
    return out;
  };
}

function config(kernelName: string, kernelFunc: unknown): tf.KernelConfig {
  return { kernelName, backendName: 'wasm', kernelFunc: kernelFunc as tf.KernelFunc };
}

/** The `Sum` config; `fallback` (the backend's own kernel) handles the other reductions. */
export function sumConfig(fallback: tf.KernelFunc): tf.KernelConfig {
  return config('Sum', makeReduction(false, fallback));
}

/** The `Mean` config; `fallback` (the backend's own kernel) handles the other reductions. */
export function meanConfig(fallback: tf.KernelFunc): tf.KernelConfig {
  return config('Mean', makeReduction(true, fallback));
}
