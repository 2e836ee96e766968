// COCO bbox evaluation equal to pycocotools, with no Node or tfjs dependency (browser, worker or Node).
// File readers: `@edet/coco-eval/node`.
export { evaluateCoco, type CocoEvalOptions, type CocoEvaluation, type CocoClassStats } from './evaluate.js';
export { STAT_NAMES, STAT_DESCRIPTIONS } from './summarize.js';
export { COCO_EVAL_PARAMS, linspace, type CocoEvalParams, type AreaRange } from './params.js';
export { boxIou } from './box-iou.js';
export { categoryMap, type CategoryMap } from './category-map.js';
export {
  assertCocoDataset,
  assertCocoDetections,
  type CocoAnnotation,
  type CocoBox,
  type CocoCategory,
  type CocoDataset,
  type CocoDetection,
  type CocoImage,
} from './coco-format.js';
export { toCocoDetections, type ClassIndexDetection } from './to-coco-detections.js';
export { EVAL_PREDICT_OPTIONS } from './predict-options.js';
export { CocoEvalError, CocoFileError, CocoInputError } from './errors.js';
