import * as tf from '@tensorflow/tfjs-core';
import { evaluateCoco, EVAL_PREDICT_OPTIONS } from '@edet/coco-eval';
import type { Batch, DetectionDataset } from '@edet/data';
import { type EfficientDet, type InputSize, type Normalization, letterboxScale, mapToOriginal } from '@edet/model';

import { batchTensors } from './batch-tensors.js';
import { errorText } from '@edet/tensor';

/** Detection settings of the validation mAP: those of `edet eval`, so the numbers agree. */
export const VALIDATION_PREDICT = EVAL_PREDICT_OPTIONS;

/** What validating once gives. */
export interface ValidationResult {
  /** Mean loss over the validation batches (inference mode: running batch-norm statistics). */
  valLoss: number;
  /** COCO mAP@[.5:.95] and mAP@.5, when the evaluator ran. */
  map?: number;
  map50?: number;
  /** Why there is no mAP, when the evaluator failed. */
  mapError?: string;
  seconds: number;
}

/** One COCO result entry. */
interface CocoResult {
  image_id: number;
  category_id: number;
  bbox: [number, number, number, number];
  score: number;
}

/**
 * The batches of a validation pass: every image once, in order, without augmentation, at `size` (a square
 * side or `[height, width]`) with the model's `normalization` (default `imagenet`).
 */
export function validationPipeline(options: { size: InputSize; batch: number; normalization?: Normalization }): {
  size: InputSize;
  normalization: Normalization;
  batchSize: number;
  seed: number;
  augment: false;
  shuffle: false;
  dropLast: false;
} {
  return { size: options.size, normalization: options.normalization ?? 'imagenet', batchSize: options.batch, seed: 0, augment: false, shuffle: false, dropLast: false };
}

/**
 * Runs the model (inference mode) over the validation split, given as its `batches` (see
 * `validationPipeline`; `@edet/data` streams them): the loss of each batch, and detections mapped back to
 * image pixels (the inverse of the letterbox, clipped to the image) scored with the COCO evaluator of
 * `@edet/coco-eval` (a failure there is reported in `mapError`, never thrown). Leaves no tensors behind.
 */
export async function validate(model: EfficientDet, dataset: DetectionDataset, batches: AsyncIterable<Batch>): Promise<ValidationResult> {
  const start = performance.now();
  model.eval();
  let lossSum = 0;
  let images = 0;
  const results: CocoResult[] = [];
  for await (const batch of batches) {
    const { x, targets } = batchTensors(batch);
    try {
      const loss = model.getLoss(x, targets, { channelsLast: true });
      lossSum += (await loss.data())[0] * batch.samples.length;
      loss.dispose();
      images += batch.samples.length;
      const detections = await model.predict(x, { ...VALIDATION_PREDICT, channelsLast: true });
      detections.forEach((boxes, i) => {
        const placement = batch.placements[i];
        // Back to image pixels, clipped to the image, as `edet eval` scores them.
        for (const { box, score, classId } of mapToOriginal(boxes, letterboxScale(placement), { clipTo: placement })) {
          const [x1, y1, x2, y2] = box;
          results.push({ image_id: batch.samples[i].imageId, category_id: dataset.categoryIds[classId], bbox: [x1, y1, x2 - x1, y2 - y1], score });
        }
      });
    } finally {
      tf.dispose([x, ...targets]);
    }
  }
  const result: ValidationResult = { valLoss: lossSum / Math.max(1, images), seconds: 0 };
  try {
    const evaluation = evaluateCoco(dataset.groundTruth as Parameters<typeof evaluateCoco>[0], results);
    result.map = Math.max(0, evaluation.stats[0]);
    result.map50 = Math.max(0, evaluation.stats[1]);
  } catch (error) {
    result.mapError = errorText(error);
  }
  result.seconds = (performance.now() - start) / 1000;
  return result;
}
