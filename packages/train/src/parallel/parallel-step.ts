import * as tf from '@tensorflow/tfjs-core';
import { type EfficientDet, type NamedVariableOptimizer, type TrainStepOptions, type TrainStepResult, applyUpdate } from '@edet/model';

import { TrainError } from '../errors.js';
import type { GradientWorkers } from './gradient-workers.js';

/** Options of `parallelTrainStep`. */
export interface ParallelStepOptions extends TrainStepOptions {
  /** Images per pass; the passes are spread over the workers. */
  microBatch: number;
  /** The step's number (seeds the passes' drop-connect masks). */
  step: number;
}

/**
 * One optimisation step with the passes computed by gradient workers: the same arithmetic as
 * `trainStep` with `microBatch` (gradients of the passes averaged by pass size, one clip, one update), with the
 * passes running in parallel. The update itself happens here, on `model`; the workers' running statistics
 * are averaged into it. `model` must be the one the workers were started with. Leaves no tensors behind.
 * `x` and `targets` are not disposed.
 */
export async function parallelTrainStep(
  workers: GradientWorkers,
  model: EfficientDet,
  optimizer: NamedVariableOptimizer,
  x: tf.Tensor4D,
  targets: readonly tf.Tensor2D[],
  options: ParallelStepOptions,
): Promise<TrainStepResult> {
  const { microBatch, step, clipGradientNorm, ...loss } = options;
  if (model !== workers.model) throw new TrainError('parallelTrainStep: the workers were started for another model (expected workers.model)');
  model.train();
  const { losses } = await workers.run(x, targets, { microBatch, step, gradients: true, loss });
  const gradients = workers.sumGradients();
  try {
    applyUpdate(model, optimizer, gradients, { clipGradientNorm });
    workers.averageStatistics();
  } finally {
    tf.dispose(Object.values(gradients));
  }
  const [value, classificationLoss, boxLoss] = losses;
  return { loss: value, classificationLoss, boxLoss };
}
