/**
 * Post-processing for evaluation, the usual COCO-eval settings: keep nearly every box (score > 0.001),
 * per-class NMS at IoU 0.5, at most 100 per image (COCO counts no more). A higher threshold would cut the
 * low-precision tail of the PR curve and understate recall, hence AP. The fields are those of
 * `@edet/model`'s `PredictOptions`, so the object can be passed to `model.detect` / `model.predict` as is.
 */
export const EVAL_PREDICT_OPTIONS = Object.freeze({
  scoreThreshold: 0.001,
  iouThreshold: 0.5,
  nms: 'per-class',
  maxDetections: 100,
} as const);
