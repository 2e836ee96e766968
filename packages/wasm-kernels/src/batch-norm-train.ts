import * as tf from '@tensorflow/tfjs-core';

import {
  BATCH_NORM_TRAIN,
  BATCH_NORM_TRAIN_GRAD,
  type BatchNormSync,
  type BatchNormTrainAttrs,
  type BatchNormTrainGradAttrs,
  syncedRows,
} from '@edet/tensor';

import { WasmKernelError } from './errors.js';
import { type KernelArgs, allocate, floatView, pointer, release, simd, wasmKernelConfig } from './wasm-backend.js';

/**
 * Training-mode batch norm (+ swish) for the wasm backend, forward and backward, each a few SIMD passes
 * over the tensor instead of a chain of ten or so full-size tfjs ops (each a pass and an allocation).
 * Kernels of our own (tfjs has no such kernel); `fusedBatchNormTraining` runs them when they are
 * registered for the active backend (the contract, names and attributes, is @edet/tensor's). Statistics are
 * per channel over every other axis of a float32 channels-last tensor (`[N, H, W, C]`). With a
 * `BatchNormSync` in the attributes (the layer passes the one installed with `setBatchNormSync`) they are
 * shared with the other replicas.
 */

/** `[rows, channels]` of a channels-last tensor, after checking the per-channel inputs against it. */
function layout(kernel: string, x: tf.TensorInfo, perChannel: Record<string, tf.TensorInfo>): [number, number] {
  const channels = x.shape[x.shape.length - 1];
  if (x.dtype !== 'float32') throw new WasmKernelError(`${kernel}: x must be float32, got ${x.dtype}`);
  for (const [name, info] of Object.entries(perChannel)) {
    if (info.dtype !== 'float32' || info.shape.length !== 1 || info.shape[0] !== channels) {
      throw new WasmKernelError(`${kernel}: ${name} must be float32 [${channels}], got ${info.dtype} [${info.shape}]`);
    }
  }
  return [tf.util.sizeFromShape(x.shape) / channels, channels];
}

/** Turns this replica's per-channel means over `rows` into means over all replicas' `totalRows`, in place. */
function shareMeans(sync: BatchNormSync, means: Float32Array, rows: number, totalRows: number): void {
  const sums = Float64Array.from(means, (value) => value * rows);
  sync.sumStatistics(sums);
  for (let c = 0; c < means.length; c++) means[c] = sums[c] / totalRows;
}

/**
 * `EdetBatchNormTrain`: inputs x `[..., C]`, gamma and beta `[C]`; attrs eps, activation.
 * Outputs `[y, mean, variance, invStd]`: y like x, `y = act((x - mean) * invStd * gamma + beta)`; the batch
 * mean, the biased batch variance, and `1 / sqrt(variance + eps)`, all `[C]`.
 */
function batchNormTrain({ inputs, backend, attrs }: KernelArgs<BatchNormTrainAttrs>): tf.TensorInfo[] {
  const { x, gamma, beta } = inputs;
  const [rows, channels] = layout(BATCH_NORM_TRAIN, x, { gamma, beta });
  const y = allocate(backend, x.shape, false);
  const mean = allocate(backend, [channels], false);
  const variance = allocate(backend, [channels], false);
  const invStd = allocate(backend, [channels], false);
  const scratch = allocate(backend, [channels], false);
  const kernels = simd(backend);
  const at = (info: tf.TensorInfo) => pointer(backend, info);
  const sync = attrs.sync;
  const totalRows = sync ? syncedRows(sync, rows, x.shape[0]) : rows;
  // No rows (an empty batch): mean and variance 0, as the composed ops give (a mean over nothing is 0).
  const perRow = rows === 0 ? 0 : 1 / rows;
  kernels.reduceMiddle(at(x), at(mean), 1, rows, channels, perRow);
  if (sync) shareMeans(sync, floatView(backend, mean), rows, totalRows);
  // The variance about the (shared) mean: averaging the replicas' variances about their own means would not give it.
  kernels.batchNormVariance(at(x), at(mean), at(variance), at(scratch), rows, channels, perRow);
  if (sync) shareMeans(sync, floatView(backend, variance), rows, totalRows);
  release(backend, scratch);
  // C values: in float64 here, rounded once.
  const varianceValues = floatView(backend, variance);
  const invStdValues = floatView(backend, invStd);
  for (let c = 0; c < channels; c++) invStdValues[c] = 1 / Math.sqrt(varianceValues[c] + attrs.eps);
  const apply = attrs.activation === 'swish' ? kernels.batchNormApplySwish : kernels.batchNormApplyNone;
  apply(at(x), at(mean), at(invStd), at(gamma), at(beta), at(y), rows, channels);
  return [y, mean, variance, invStd];
}

/**
 * `EdetBatchNormTrainGrad`: inputs dy (like x), x, gamma, beta, mean and invStd (`[C]`, as the forward
 * kernel returned them); attr activation. Outputs `[dx, dGamma, dBeta]`.
 *
 * Two passes: the first finds `dz` (dy through the activation, recomputed from x; written into dx) and the
 * per-channel sums of `dz` and `dz * xHat`, which are dBeta and dGamma; the second turns dz into dx in place.
 */
function batchNormTrainGrad({ inputs, backend, attrs }: KernelArgs<BatchNormTrainGradAttrs>): tf.TensorInfo[] {
  const { dy, x, gamma, beta, mean, invStd } = inputs;
  const [rows, channels] = layout(BATCH_NORM_TRAIN_GRAD, x, { gamma, beta, mean, invStd });
  if (dy.dtype !== 'float32' || !tf.util.arraysEqual(dy.shape, x.shape)) {
    throw new WasmKernelError(`${BATCH_NORM_TRAIN_GRAD}: dy must be float32 [${x.shape}], got ${dy.dtype} [${dy.shape}]`);
  }
  const dx = allocate(backend, x.shape, false);
  const dGamma = allocate(backend, [channels], false);
  const dBeta = allocate(backend, [channels], false);
  const scratch = allocate(backend, [2, channels], false);
  const kernels = simd(backend);
  const at = (info: tf.TensorInfo) => pointer(backend, info);
  const swish = attrs.activation === 'swish';
  const reduce = swish ? kernels.batchNormGradReduceSwish : kernels.batchNormGradReduceNone;
  reduce(at(dy), at(x), at(mean), at(invStd), at(gamma), at(beta), at(dx), at(dBeta), at(dGamma), at(scratch), rows, channels);
  release(backend, scratch);
  // Without an activation dz is dy, read where it is.
  const dz = swish ? dx : dy;
  const sync = attrs.sync;
  if (sync === undefined) {
    kernels.batchNormGradApply(at(dz), at(x), at(mean), at(invStd), at(gamma), at(dBeta), at(dGamma), at(dx), rows, channels, 1 / rows);
    return [dx, dGamma, dBeta];
  }
  // Synchronised: dx needs the sums over every replica's rows; dGamma and dBeta stay this replica's own,
  // since the trainer adds the replicas' parameter gradients.
  const sums = new Float64Array(2 * channels);
  sums.set(floatView(backend, dBeta));
  sums.set(floatView(backend, dGamma), channels);
  sync.sumGradientStatistics(sums);
  const shared = allocate(backend, [2, channels], false);
  floatView(backend, shared).set(sums);
  const sharedBeta = at(shared);
  const sharedGamma = sharedBeta + 4 * channels;
  const totalRows = syncedRows(sync, rows, x.shape[0]);
  kernels.batchNormGradApply(at(dz), at(x), at(mean), at(invStd), at(gamma), sharedBeta, sharedGamma, at(dx), rows, channels, 1 / totalRows);
  release(backend, shared);
  return [dx, dGamma, dBeta];
}

export const batchNormTrainConfig = wasmKernelConfig(BATCH_NORM_TRAIN, batchNormTrain);

export const batchNormTrainGradConfig = wasmKernelConfig(BATCH_NORM_TRAIN_GRAD, batchNormTrainGrad);
