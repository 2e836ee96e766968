// COCO bbox evaluation (pycocotools-exact) and the pieces `edet eval` builds on.
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
export { readCocoDataset, readCocoDetections } from './coco-files.js';
export { openDatasetFolder, type DatasetFolder } from './dataset-folder.js';
export { detectDataset, EVAL_PREDICT_OPTIONS, type DatasetDetectionOptions } from './model-detections.js';
export { countObjects, formatEvalTables, toEvalReport, type EvalReport } from './report.js';
