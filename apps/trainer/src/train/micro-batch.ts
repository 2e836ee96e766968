import * as tf from '@tensorflow/tfjs-core';
import { type EfficientDet, type NamedVariableOptimizer, type TrainStepOptions, type TrainStepResult, clipByGlobalNorm, trainStep } from '@edet/model';

/**
 * Images a forward/backward pass can hold on the wasm backend, whose heap is capped at 4 GiB: a D0
 * training pass at 512x512 peaks near 1.15 GiB per image on top of about 0.2 GiB, so 2 images fit with
 * room to spare (3 reach 3.5 GiB, 4 abort). Larger variants get 1 image per pass at their own size. Scales
 * with the pixel count for other sizes; other backends have no such cap.
 */
export function defaultMicroBatch(backend: string, coef: number, size: number, batch: number): number {
  if (backend !== 'wasm') return batch;
  const perPass = coef === 0 ? (2 * 512 * 512) / (size * size) : (512 * 512) / (size * size);
  return Math.max(1, Math.min(batch, Math.floor(perPass)));
}

/**
 * One optimisation step over a batch split into passes of at most `microBatch` images: each pass computes
 * its loss and gradients, which are averaged (weighted by pass size) before one clip and one update. With
 * `microBatch >= batch` this is `trainStep` itself. Batch norm sees each pass's statistics, as in any
 * gradient accumulation. Leaves no tensors behind; reads back only the three loss scalars.
 */
export function microBatchTrainStep(
  model: EfficientDet,
  optimizer: NamedVariableOptimizer,
  x: tf.Tensor4D,
  targets: readonly tf.Tensor2D[],
  options: TrainStepOptions & { microBatch: number },
): TrainStepResult {
  const { microBatch, clipGradientNorm, ...lossOptions } = options;
  const batch = x.shape[0];
  if (microBatch >= batch) return trainStep(model, optimizer, x, targets, { ...lossOptions, clipGradientNorm });
  model.train();
  const variables = model.namedParameters();
  const variableList = [...variables.values()];
  const sums: Record<string, tf.Tensor> = {};
  let lossSums: tf.Tensor1D | undefined;
  for (let start = 0; start < batch; start += microBatch) {
    const count = Math.min(microBatch, batch - start);
    const weight = count / batch;
    const part = tf.slice(x, [start, 0, 0, 0], [count, -1, -1, -1]) as tf.Tensor4D;
    let parts: tf.Scalar[] = [];
    const { value, grads } = tf.variableGrads(() => {
      const { loss, classificationLoss, boxLoss } = model.computeLoss(part, targets.slice(start, start + count), lossOptions);
      parts = [tf.keep(classificationLoss), tf.keep(boxLoss)];
      return loss;
    }, variableList);
    for (const [name, variable] of variables) {
      const gradient = grads[variable.name];
      const previous = sums[name];
      sums[name] = tf.tidy(() => (previous === undefined ? tf.mul(gradient, weight) : tf.add(previous, tf.mul(gradient, weight))));
      previous?.dispose();
    }
    const previousLoss = lossSums;
    lossSums = tf.tidy(() => {
      const current = tf.mul(tf.stack([value, ...parts]), weight) as tf.Tensor1D;
      return previousLoss === undefined ? current : (tf.add(previousLoss, current) as tf.Tensor1D);
    });
    previousLoss?.dispose();
    tf.dispose([part, value, ...parts, ...Object.values(grads)]);
  }
  if (clipGradientNorm !== undefined) clipByGlobalNorm(sums, clipGradientNorm);
  optimizer.applyGradients(variables, sums);
  const [loss, classificationLoss, boxLoss] = lossSums!.dataSync();
  tf.dispose([lossSums!, ...Object.values(sums)]);
  return { loss, classificationLoss, boxLoss };
}
