import * as tf from '@tensorflow/tfjs-core';

import { checkNumberOption } from '@edet/tensor';

import type { LossOptions } from './detection-loss.js';
import { checkLossOptions } from './loss-options-check.js';
import type { EfficientDet, ForwardOptions } from './efficientdet.js';
import { checkTargets } from './targets-check.js';
import { variableGradsFreeingOnThrow } from './variable-grads.js';

/** The gradients of a batch's loss and the loss itself, as `lossGradients` returns them. */
export interface LossGradients {
  /** One gradient per parameter, keyed by `model.namedParameters()` names, each shaped like its variable. */
  gradients: Record<string, tf.Tensor>;
  /** [3]: the total, classification and box losses. */
  losses: tf.Tensor1D;
}

/**
 * Loss and gradients of a batch with respect to every parameter of `model`, computed in passes of at most
 * `microBatch` images (default: one pass) whose results are averaged, weighted by pass size. Runs the model
 * as it is (call `model.train()` first for batch statistics). `x` ([batch, height, width, 3]) and `targets`
 * (one [boxes, 5] tensor per image) are not disposed; the caller owns and disposes every returned tensor.
 * @throws InvalidArgumentError for a loss option out of range (`checkLossOptions`) or a `microBatch` that is
 *   not a whole number >= 1 (or Infinity)
 * A throw (bad `x` or `targets`, any error in a pass) leaves no tensors behind.
 */
export function lossGradients(
  model: EfficientDet,
  x: tf.Tensor4D,
  targets: readonly tf.Tensor2D[],
  options: LossOptions & ForwardOptions = {},
  microBatch?: number,
): LossGradients {
  // Options first: a bad one fails before any tensor is made (and before the gradient tape starts).
  checkLossOptions(options);
  if (microBatch !== undefined) checkNumberOption(microBatch, 'microBatch', { min: 1, integer: true });
  // Not a tensor: the one pass's `computeLoss` names what was expected.
  const batch = x instanceof tf.Tensor ? x.shape[0] : 0;
  // One pass: no weighting, so the arithmetic is exactly the plain gradient of the batch loss.
  if (microBatch === undefined || microBatch >= batch) return passGradients(model, x, targets, options);
  // The whole batch's targets, checked before the passes cut them (a pass would report its own count).
  checkTargets(targets, batch, model.config.numClasses);
  const sums: Record<string, tf.Tensor> = {};
  let lossSums: tf.Tensor1D | undefined;
  try {
    for (let start = 0; start < batch; start += microBatch) {
      const count = Math.min(microBatch, batch - start);
      const weight = count / batch;
      const part = tf.slice(x, [start, 0, 0, 0], [count, -1, -1, -1]) as tf.Tensor4D;
      let pass: LossGradients;
      try {
        pass = passGradients(model, part, targets.slice(start, start + count), options);
      } finally {
        part.dispose();
      }
      for (const [name, gradient] of Object.entries(pass.gradients)) {
        const previous = sums[name];
        sums[name] = tf.tidy(() => (previous === undefined ? tf.mul(gradient, weight) : tf.add(previous, tf.mul(gradient, weight))));
        previous?.dispose();
      }
      const previousLoss = lossSums;
      lossSums = tf.tidy(() => {
        const current = tf.mul(pass.losses, weight) as tf.Tensor1D;
        return previousLoss === undefined ? current : (tf.add(previousLoss, current) as tf.Tensor1D);
      });
      previousLoss?.dispose();
      tf.dispose([pass.losses, ...Object.values(pass.gradients)]);
    }
  } catch (error) {
    // The sums of the passes done so far are nobody's once this throws.
    tf.dispose([...Object.values(sums), ...(lossSums ? [lossSums] : [])]);
    throw error;
  }
  return { gradients: sums, losses: lossSums! };
}

/** One forward/backward pass over all of `x`. */
function passGradients(model: EfficientDet, x: tf.Tensor4D, targets: readonly tf.Tensor2D[], options: LossOptions & ForwardOptions): LossGradients {
  const variables = model.namedParameters();
  let parts: tf.Scalar[] = [];
  let value: tf.Scalar;
  let grads: tf.NamedTensorMap;
  try {
    ({ value, grads } = variableGradsFreeingOnThrow(() => {
      const { loss, classificationLoss, boxLoss } = model.computeLoss(x, targets, options);
      parts = [tf.keep(classificationLoss), tf.keep(boxLoss)];
      return loss;
    }, [...variables.values()]));
  } catch (error) {
    // The two loss parts were kept before the throw (e.g. a non-scalar or failed backward pass).
    tf.dispose(parts);
    throw error;
  }
  // variableGrads keys gradients by the tfjs variable name; map them back to module names.
  const gradients: Record<string, tf.Tensor> = {};
  for (const [name, variable] of variables) gradients[name] = grads[variable.name];
  const losses = tf.stack([value, ...parts]) as tf.Tensor1D;
  tf.dispose([value, ...parts]);
  return { gradients, losses };
}
