// The Node side of @edet/data: dataset folders on disk (COCO, VOC), image files decoded with
// @napi-rs/canvas (an optional peer dependency), and the batching pipeline reading them.
export { checkImagesExist, displayPath, isDirectory, isFile } from './files.js';
export { cocoAnnotationCandidates, findCocoAnnotations, loadCocoDataset } from './coco.js';
export { isVocFolder, loadVocDataset, vocSplitFile } from './voc.js';
export { DATASET_FORMATS, detectFormat, loadDatasetSplits, type DatasetFormat, type DatasetOptions, type DatasetSplits } from './load.js';
export { decodeImage, type DecodedImage, type DecodeOptions } from './decode-image.js';
export { declaredSizeMismatch, readAndDecodeImage, readImageFile } from './read-image-file.js';
export { MAX_IMAGE_FILE_BYTES, readBoundedFile, type BoundedReadOptions } from './read-bounded-file.js';
export { checkDatasetImages, findImageProblems, type ImageCheckOptions, type ImageCheckSplit, type ImageProblem } from './check-dataset-images.js';
export { loadBatch, streamEpoch, type NodePipelineOptions } from './pipeline.js';
