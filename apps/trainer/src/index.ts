// The trainer app's library face: the pieces behind the `edet` command line, for tests and other tools.
export { createProgram } from './program.js';
export { runDetect, type DetectOptions } from './commands/detect.js';
export { startBackend, NODE_BACKENDS, type NodeBackend } from './backend.js';
export { BUILTIN_CLASS_LISTS, labeller, loadClassNames, parseClassNames } from './classes.js';
export { annotateImage, type AnnotateOptions } from './draw/annotate.js';
export { labelFontFamily } from './draw/fonts.js';
export { decodeImage, type DecodedImage } from '@edet/data/node';
export { encodeCanvas } from './image/encode.js';
export { formatFromExtension, rgbaToRgb, sniffImageFormat, toRgba, type ImageFormat } from '@edet/data';
export { formatDetectionTable } from './format/table.js';
export { formatJsonReport, toImageReport, type ImageReport } from './format/json.js';
export { runInferBenchmark, type InferBenchmarkOptions, type InferBenchmarkResult } from './bench/infer.js';
export { summarizeTimings, type TimingSummary } from './bench/statistics.js';
export { describeRatio, speedRatio, type SpeedRatio } from './bench/ratio.js';
export {
  chooseModel,
  createChosenDetector,
  createDetector,
  readWeightsFile,
  DEFAULT_SEED,
  type DetectorOptions,
  type ModelChoice,
  type ModelRequest,
} from './model.js';
export { BUNDLED_MODEL_DIRECTORY, readBundledModel, type BundledModel } from './bundled-model.js';
export { bundleModel, BUNDLED_WEIGHTS_FILE, F16_TOLERANCE, type BundleModelOptions, type BundleModelResult } from './bundle-model.js';
export { CliError, oneLineMessage } from './errors.js';
export { OutputNames } from './output-names.js';
export { sampleImages, SAMPLES_DIRECTORY } from './samples.js';
export type { CommandIo } from './io.js';
export { runTrain, type TrainOptions } from './commands/train.js';
export { detectDataset, type DatasetDetectionOptions } from './dataset-detections.js';
export { countObjects, formatEvalTables, toEvalReport, type EvalReport } from './format/eval-report.js';
