// Detection datasets for edet, with no Node dependency: the dataset model, COCO and VOC parsing, letterbox
// placement and rendering, augmentation, seeded randomness and the batching pipeline (images come from an
// `ImageReader`). Files and image decoding: `@edet/data/node`.
export { DataError, DataFileError } from './errors.js';
export { groundTruthOf, type AnnotationIssue, type Box, type DetectionDataset, type GroundTruth, type Sample } from './dataset.js';
export { checkBox, MIN_BOX_SIDE, summarizeIssues, type RawBox } from './boxes.js';
export { checkCocoInstances, cocoDetectionDataset, type CocoInstances, type CocoSplitSource } from './coco-dataset.js';
export { parseVocAnnotation, type VocAnnotation, type VocObject } from './voc-annotation.js';
export { type VocSamples, vocImageName, vocSamples } from './voc-samples.js';
export { childElement, childElements, childText, decodeEntities, parseXml, XmlError, type XmlElement } from './xml.js';
export {
  augmentedPlacement,
  inputFrame,
  letterboxPlacement,
  MIN_PLACED_SIDE,
  MIN_VISIBLE_FRACTION,
  placeBoxes,
  type Placement,
  type PlacementDraw,
} from './placement.js';
export { NO_JITTER, renderImage, type ColourJitter } from './render.js';
export { DEFAULT_AUGMENT, drawAugmentation, NO_AUGMENTATION, type AugmentConfig, type SampleAugmentation } from './augment.js';
export { createRandom, deriveSeed, randomInt, randomSeed, shuffledIndices, streamOf, uniform, type Random } from './random.js';
export { prefetch } from './prefetch.js';
export {
  batchesPerEpoch,
  epochBatches,
  loadBatch,
  streamEpoch,
  type Batch,
  type ImagePipelineOptions,
  type ImageReader,
  type PipelineOptions,
} from './pipeline.js';
export { formatFromExtension, sniffImageFormat, type ImageFormat } from './image-format.js';
export { inspectImage, MAX_IMAGE_PIXELS, type ImageHeader } from './image-header.js';
export { rgbaToRgb, toRgba } from './pixels.js';
