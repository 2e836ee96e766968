// The Node side of @edet/coco-eval: reading ground-truth and results files, and dataset folders.
export { readCocoDataset, readCocoDetections } from './coco-files.js';
export { openDatasetFolder, type DatasetFolder } from './dataset-folder.js';
