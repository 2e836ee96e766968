import * as tf from '@tensorflow/tfjs-core';

import {
  BATCH_NORM_TRAIN,
  BATCH_NORM_TRAIN_GRAD,
  type BatchNormTrainAttrs,
  type BatchNormTrainGradAttrs,
} from '../fused-kernels/batch-norm-train.js';
import { globalAveragePool } from './global-average-pool.js';
import { releaseAfterBackward } from './release-after-backward.js';
import { canUseFusedKernel } from './fused-kernel.js';
import { type BatchNormSync, batchNormSync, syncedRows } from './batch-norm-sync.js';

/** Per-channel mean over N, H, W of `[N, H, W, C]` -> `[1, 1, 1, C]`, reducing in short passes (see globalAveragePool). */
function channelMean(x: tf.Tensor4D): tf.Tensor4D {
  return tf.mean(globalAveragePool(x), 0, true) as tf.Tensor4D;
}

/** The batch statistics a training-mode batch norm used, for updating running statistics. */
export interface BatchStatistics {
  /** `[C]` batch mean. */
  mean: tf.Tensor1D;
  /** `[C]` biased batch variance. */
  variance: tf.Tensor1D;
  /** Values per channel they were taken over (with a `BatchNormSync`, over every replica's pass). */
  count: number;
}

/**
 * Per-channel means of this replica's `[1, 1, 1, C]` -> the same over every replica's rows (a new tensor),
 * summed with `share` (`sumStatistics` in the forward pass, `sumGradientStatistics` in the backward one).
 */
function shareComposedMeans(means: tf.Tensor[], rows: number, totalRows: number, share: (values: Float64Array) => void): tf.Tensor[] {
  const channels = means[0].size;
  const sums = new Float64Array(channels * means.length);
  means.forEach((mean, i) => (mean.dataSync() as Float32Array).forEach((value, c) => (sums[i * channels + c] = value * rows)));
  share(sums);
  return means.map((mean, i) => tf.tensor(Float32Array.from(sums.subarray(i * channels, (i + 1) * channels), (sum) => sum / totalRows), mean.shape));
}

/** `[rows, rows over all replicas]` for a pass over `x` `[N, H, W, C]`. */
function passRows(x: tf.Tensor, sync: BatchNormSync | undefined): [number, number] {
  const rows = x.size / x.shape[x.shape.length - 1];
  return [rows, sync ? syncedRows(sync, rows, x.shape[0]) : rows];
}

/** The forward pass from tfjs ops (backends without the fused kernel). Saves mean and invStd as `[1, 1, 1, C]`. */
function composedForward(x4: tf.Tensor4D, scale: tf.Tensor, shift: tf.Tensor, eps: number, activation: 'none' | 'swish', save: tf.GradSaveFunc) {
  const sync = batchNormSync();
  const [rows, totalRows] = passRows(x4, sync);
  const share = (local: tf.Tensor) => (sync ? shareComposedMeans([local], rows, totalRows, (v) => sync.sumStatistics(v))[0] : local);
  const mean = share(channelMean(x4));
  const centred = tf.sub(x4, mean);
  const variance = share(channelMean(tf.square(centred) as tf.Tensor4D));
  const invStd = tf.rsqrt(tf.add(variance, eps));
  const normalised = tf.mul(centred, invStd);
  const z = tf.add(tf.mul(normalised, scale), shift);
  const value = activation === 'swish' ? tf.mul(z, tf.sigmoid(z)) : z;
  save([x4, scale, shift, mean, invStd]);
  return { value, mean: tf.reshape(mean, [-1]), variance: tf.reshape(variance, [-1]) };
}

/** The backward pass from tfjs ops, from what either forward saved (mean and invStd `[C]` or `[1, 1, 1, C]`). */
function composedBackward(dy: tf.Tensor, saved: tf.Tensor[], activation: 'none' | 'swish'): tf.Tensor[] {
  const [xs, g, b, m, s] = saved;
  const xHat = tf.mul(tf.sub(xs, m), s);
  let dz = dy;
  if (activation === 'swish') {
    const zs = tf.add(tf.mul(xHat, g), b);
    const sig = tf.sigmoid(zs);
    // d/dz [z * sigmoid(z)] = sigmoid(z) * (1 + z * (1 - sigmoid(z)))
    dz = tf.mul(dy, tf.mul(sig, tf.add(1, tf.mul(zs, tf.sub(1, sig)))));
  }
  const dBeta = tf.reshape(tf.sum(dz, [0, 1, 2]), [-1]);
  const dGamma = tf.reshape(tf.sum(tf.mul(dz, xHat), [0, 1, 2]), [-1]);
  // dx = gamma * invStd * (dz - mean(dz) - xHat * mean(dz * xHat)), the means over every replica's rows
  const sync = batchNormSync();
  const [rows, totalRows] = passRows(xs, sync);
  let meanDz: tf.Tensor = channelMean(dz as tf.Tensor4D);
  let meanDzXHat: tf.Tensor = channelMean(tf.mul(dz, xHat) as tf.Tensor4D);
  if (sync) [meanDz, meanDzXHat] = shareComposedMeans([meanDz, meanDzXHat], rows, totalRows, (v) => sync.sumGradientStatistics(v));
  const dx = tf.mul(tf.mul(g, s), tf.sub(tf.sub(dz, meanDz), tf.mul(xHat, meanDzXHat)));
  return [dx, dGamma, dBeta];
}

/**
 * Training-mode batch norm, optionally followed by swish, as one differentiable op whose backward pass is
 * written out (the standard batch-norm gradient through batch statistics). Built from separate ops, the
 * tape would keep five or six full-size intermediates per layer; this keeps only the input, which is what
 * lets a D0 training step at 512x512 fit in the wasm heap, and it is faster.
 *
 * Where the active backend has the fused kernels (`EdetBatchNormTrain` / `EdetBatchNormTrainGrad`, which
 * `registerWasmKernels` of `@edet/wasm-kernels` adds to wasm), forward and backward are each a few passes
 * over the tensor; elsewhere they are composed from tfjs ops. With a `BatchNormSync` installed
 * (`setBatchNormSync`), both paths take the statistics, and the backward pass its two sums, over every
 * replica's pass; the fused kernels get the sync through their attributes.
 *
 * @param x `[N, H, W, C]`. @param gamma, beta `[C]`.
 * @returns the normalised (and activated) output `[N, H, W, C]` and the batch statistics; all new tensors
 *   the caller disposes.
 */
export function fusedBatchNormTraining(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps: number,
  activation: 'none' | 'swish',
): { y: tf.Tensor4D; statistics: BatchStatistics } {
  let statistics: BatchStatistics | undefined;
  const op = tf.customGrad(((input: tf.Tensor, scale: tf.Tensor, shift: tf.Tensor, save: tf.GradSaveFunc) => {
    const x4 = input as tf.Tensor4D;
    let value: tf.Tensor;
    let mean: tf.Tensor;
    let variance: tf.Tensor;
    if (canUseFusedKernel(BATCH_NORM_TRAIN, [x4, scale, shift])) {
      let invStd: tf.Tensor;
      // The layer owns the synchronisation: the kernel gets it with the call (an object attribute).
      const attrs: BatchNormTrainAttrs = { eps, activation, sync: batchNormSync() };
      [value, mean, variance, invStd] = tf.engine().runKernel(BATCH_NORM_TRAIN, { x: x4, gamma: scale, beta: shift }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
      save([x4, scale, shift, mean, invStd]);
    } else {
      ({ value, mean, variance } = composedForward(x4, scale, shift, eps, activation, save));
    }
    statistics = { mean: tf.keep(mean) as tf.Tensor1D, variance: tf.keep(variance) as tf.Tensor1D, count: passRows(x4, batchNormSync())[1] };
    return {
      value,
      // tfjs runs a custom gradient outside any tidy scope: without this one, every temporary below would live
      // until the whole backward pass ends.
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => {
        const [xs, g, b, m, s] = saved;
        let grads: tf.Tensor[];
        if (canUseFusedKernel(BATCH_NORM_TRAIN_GRAD, [dy, ...saved])) {
          // The kernel takes the statistics as `[C]`, whichever forward saved them.
          const inputs = { dy, x: xs, gamma: g, beta: b, mean: tf.reshape(m, [-1]), invStd: tf.reshape(s, [-1]) };
          const attrs: BatchNormTrainGradAttrs = { activation, sync: batchNormSync() };
          grads = tf.engine().runKernel(BATCH_NORM_TRAIN_GRAD, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
        } else {
          grads = composedBackward(dy, saved, activation);
        }
        releaseAfterBackward(dy, saved);
        return grads;
      }),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const y = op(x, gamma, beta) as tf.Tensor4D;
  return { y, statistics: statistics as BatchStatistics };
}
