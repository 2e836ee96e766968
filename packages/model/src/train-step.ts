import * as tf from '@tensorflow/tfjs-core';
import { checkNumberOption, type Optimizer } from '@edet/tensor';

import type { LossOptions } from './detection-loss.js';
import type { EfficientDet, ForwardOptions } from './efficientdet.js';
import { lossGradients } from './loss-gradients.js';

/** What one training step reports, read back to JS numbers. */
export interface TrainStepResult {
  loss: number;
  classificationLoss: number;
  boxLoss: number;
}

/** The part of an `Optimizer` that a training step drives: edet's `AdamW` and `Sgd`, or anything with the same method. */
export type NamedVariableOptimizer = Pick<Optimizer, 'applyGradients'>;

/** How a training step turns gradients into an update (shared by every step variant). */
export interface UpdateOptions {
  /** Clip the global gradient norm to this value (default: no clipping). */
  clipGradientNorm?: number;
}

/** Options of `trainStep`. */
export interface TrainStepOptions extends LossOptions, ForwardOptions, UpdateOptions {
  /**
   * Images per forward/backward pass (default: the whole batch). A smaller value splits the batch into
   * passes whose gradients are averaged, weighted by pass size, before the one update: gradient
   * accumulation, for backends with a memory cap. Batch norm then sees each pass's statistics.
   */
  microBatch?: number;
}

/**
 * One optimisation step: forward, loss, backward (in passes of `microBatch` images), one optimizer update.
 * Puts the model in training mode (batch statistics); leaves no tensors behind and reads back only the three
 * loss scalars. `x` ([batch, height, width, 3], or channels-last as `options` says) and `targets` (one
 * [boxes, 5] tensor per image) are not disposed.
 */
export function trainStep(
  model: EfficientDet,
  optimizer: NamedVariableOptimizer,
  x: tf.Tensor4D,
  targets: readonly tf.Tensor2D[],
  options: TrainStepOptions = {},
): TrainStepResult {
  const { microBatch, clipGradientNorm, ...lossOptions } = options;
  // Checked before the forward pass, so a bad value costs no work and leaves no tensor behind.
  if (clipGradientNorm !== undefined) checkNumberOption(clipGradientNorm, 'clipGradientNorm', { min: 0, minExclusive: true });
  model.train();
  const { gradients, losses } = lossGradients(model, x, targets, lossOptions, microBatch);
  try {
    applyUpdate(model, optimizer, gradients, { clipGradientNorm });
    const [loss, classificationLoss, boxLoss] = losses.dataSync();
    return { loss, classificationLoss, boxLoss };
  } finally {
    tf.dispose([losses, ...Object.values(gradients)]);
  }
}

/**
 * The update every step variant ends with: clips `gradients` (keyed by `model.namedParameters()` names, each
 * shaped like its variable) to the global norm `options.clipGradientNorm` when given, then applies one
 * optimizer update to the model's parameters. Clipping replaces the entries of `gradients` (disposing the
 * tensors it replaces); the caller still owns, and disposes, whatever `gradients` holds afterwards.
 */
export function applyUpdate(
  model: EfficientDet,
  optimizer: NamedVariableOptimizer,
  gradients: Record<string, tf.Tensor>,
  options: UpdateOptions = {},
): void {
  if (options.clipGradientNorm !== undefined) clipByGlobalNorm(gradients, options.clipGradientNorm);
  optimizer.applyGradients(model.namedParameters(), gradients);
}

/**
 * Scales every gradient (replacing the entries, disposing the old tensors) so that their global L2 norm is
 * at most `maxNorm`. Reads the norm back: one scalar.
 */
export function clipByGlobalNorm(gradients: Record<string, tf.Tensor>, maxNorm: number): void {
  const norm = tf.tidy(() => tf.sqrt(tf.addN(Object.values(gradients).map((g) => tf.sum(tf.square(g))))).dataSync()[0]);
  if (!(norm > maxNorm)) return;
  const scale = maxNorm / norm;
  for (const [name, gradient] of Object.entries(gradients)) {
    gradients[name] = tf.mul(gradient, scale);
    gradient.dispose();
  }
}
