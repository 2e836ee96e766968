import * as tf from '@tensorflow/tfjs-core';
import type { AdamW } from '@edet/tensor';

import type { LossOptions } from './detection-loss.js';
import type { EfficientDet, ForwardOptions } from './efficientdet.js';

/** What one training step reports, read back to JS numbers. */
export interface TrainStepResult {
  loss: number;
  classificationLoss: number;
  boxLoss: number;
}

/** An optimizer `trainStep` can drive: edet's `AdamW`, or anything with the same method. */
export interface NamedVariableOptimizer {
  applyGradients(variables: ReadonlyMap<string, tf.Variable>, gradients: Readonly<Record<string, tf.Tensor>>): void;
}

/** Options of `trainStep`. */
export interface TrainStepOptions extends LossOptions, ForwardOptions {
  /** Clip the global gradient norm to this value (default: no clipping). */
  clipGradientNorm?: number;
}

/**
 * One optimisation step: forward, loss, backward, optimizer update. Puts the model in training mode
 * (batch statistics); leaves no tensors behind. `x` and `targets` are not disposed.
 */
export function trainStep(
  model: EfficientDet,
  optimizer: NamedVariableOptimizer | AdamW,
  x: tf.Tensor4D,
  targets: readonly tf.Tensor2D[],
  options: TrainStepOptions = {},
): TrainStepResult {
  const { clipGradientNorm, ...lossOptions } = options;
  model.train();
  const variables = model.namedParameters();
  const names = [...variables.keys()];
  let parts: tf.Scalar[] = [];
  const { value, grads } = tf.variableGrads(() => {
    const { loss, classificationLoss, boxLoss } = model.computeLoss(x, targets, lossOptions);
    parts = [tf.keep(classificationLoss), tf.keep(boxLoss)];
    return loss;
  }, [...variables.values()]);
  // variableGrads keys gradients by the tfjs variable name; map them back to module names.
  const byModuleName: Record<string, tf.Tensor> = {};
  for (const name of names) byModuleName[name] = grads[(variables.get(name) as tf.Variable).name];
  if (clipGradientNorm !== undefined) clipByGlobalNorm(byModuleName, clipGradientNorm);
  optimizer.applyGradients(variables, byModuleName);
  const [loss, classificationLoss, boxLoss] = [value, ...parts].map((t) => t.dataSync()[0]);
  tf.dispose([value, ...parts, ...Object.values(byModuleName), ...Object.values(grads)]);
  return { loss, classificationLoss, boxLoss };
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
