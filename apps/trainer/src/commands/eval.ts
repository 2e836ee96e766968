import { categoryMap, evaluateCoco, EVAL_PREDICT_OPTIONS, type CocoDataset, type CocoDetection } from '@edet/coco-eval';
import { readCocoDataset, readCocoDetections } from '@edet/coco-eval/node';
import { MAX_IMAGE_PIXELS } from '@edet/data';
import type { InputSize } from '@edet/model';
import { checkDatasetImages } from '@edet/data/node';
import { Option, type Command } from 'commander';

import { MAX_DEFAULT_WASM_THREADS, NODE_BACKENDS, defaultWasmThreads, describeBackend, startBackend, type NodeBackend } from '../backend.js';
import { CliError, oneLineMessage } from '../errors.js';
import type { CommandIo } from '../io.js';
import { chooseModel, createChosenDetector } from '../model.js';
import { MODEL_NAMES_HINT, chooseArchitecture, modelNameOf, parseModelName } from '../model-names.js';
import { integerParser, parseFraction, parseInputSize } from '../options.js';
import { InputFiles, writeOutputFile } from '../output-files.js';
import { openEvalDataset } from '../eval-dataset.js';
import { detectDataset } from '../dataset-detections.js';
import { countObjects, formatEvalTables, toEvalReport, type EvalReport } from '../format/eval-report.js';

/** The parsed options of `edet eval`. */
export interface EvalOptions {
  /** wasm threads (default: one per core, at most 8; 1: tfjs's single-threaded build). */
  threads?: number;
  /** Ground-truth COCO JSON (with `dets`). */
  gt?: string;
  /** COCO results JSON (with `gt`). */
  dets?: string;
  /** Dataset folder, `images/` + `instances_<split>.json` (instead of `gt` and `dets`). */
  data?: string;
  split?: string;
  weights?: string;
  /** Model by published name; default: the weights' `model` metadata (or the bundled model's), else `coef`'s D variant. */
  model?: string;
  /** EfficientDet variant (must agree with `model`); default: the weights' `compound_coef` metadata, else 0. */
  coef?: number;
  /** Input side or `[height, width]`; default: the weights' `input_size` metadata (or the bundled model's), else the model's. */
  size?: InputSize;
  /** The most pixels an image may have (default `MAX_IMAGE_PIXELS`). */
  maxPixels?: number;
  scoreThreshold?: number;
  batch?: number;
  backend?: NodeBackend;
  /** With `data`: also write the model's detections here, as a COCO results file. */
  saveDetections?: string;
  json?: boolean;
}

/** Options that only mean something when the model runs, i.e. with `--data`. */
const MODEL_OPTIONS = ['split', 'weights', 'model', 'coef', 'size', 'maxPixels', 'scoreThreshold', 'batch', 'backend', 'saveDetections'] as const;
const FLAG_NAMES: Record<(typeof MODEL_OPTIONS)[number], string> = {
  split: '--split',
  weights: '--weights',
  model: '--model',
  coef: '--coef',
  size: '--size',
  maxPixels: '--max-pixels',
  scoreThreshold: '--score-threshold',
  batch: '--batch',
  backend: '--backend',
  saveDetections: '--save-detections',
};

/** Adds `edet eval` to the program. */
export function registerEvalCommand(program: Command, io: CommandIo): void {
  program
    .command('eval')
    .description('COCO bbox evaluation (AP, AP50, ..., AR100 as pycocotools): of a results file, or of the model on a dataset')
    .option('--gt <file>', 'ground-truth COCO JSON (with --dets)')
    .option('--dets <file>', 'COCO results JSON, [{image_id, category_id, bbox: [x, y, w, h], score}] (with --gt)')
    .option('--data <dir>', 'dataset folder, COCO (images/ + instances_<split>.json) or Pascal VOC (Annotations/ + JPEGImages/), as edet train reads: run the model over it and evaluate')
    .option('--split <name>', 'with --data: which instances_<split>.json (default: val)')
    .option('--weights <file>', "with --data: safetensors or PyTorch .pth checkpoint (default: the bundled BCCD D0 model, when the dataset's categories are its classes)")
    .option('--model <name>', `with --data: model by published name: ${MODEL_NAMES_HINT} (default: the weights' model metadata, else --coef)`, parseModelName)
    .option('--coef <n>', "with --data: EfficientDet variant, 0 for D0, as zylo117's efficientdet-d<n> (default: the weights' compound_coef metadata, else 0)", integerParser(0))
    .option('--size <n>', "with --data: input side (any positive integer) or HEIGHTxWIDTH, e.g. 384x640 (default: the weights' input_size metadata, else the model's)", parseInputSize)
    .option('--max-pixels <n>', `with --data: refuse images with more pixels than this (default: ${MAX_IMAGE_PIXELS})`, integerParser(1))
    .option('--score-threshold <s>', `with --data: keep detections scoring above this (default: ${EVAL_PREDICT_OPTIONS.scoreThreshold})`, parseFraction)
    .option('--batch <n>', 'with --data: images decoded and run at a time (default: 8)', integerParser(1))
    .addOption(new Option('--backend <name>', 'with --data: tfjs backend (default: wasm, falling back to cpu)').choices(NODE_BACKENDS))
    .option('--threads <n>', `with --data: wasm threads: above 1, tfjs's threaded build (default: one per core, at most ${MAX_DEFAULT_WASM_THREADS})`, integerParser(1))
    .option('--save-detections <file>', 'with --data: also write the detections as a COCO results file (for --dets)')
    .option('--json', 'print one JSON object ({stats, statNames, perClass, images, detections}) instead of tables', false)
    .action(async (options: EvalOptions) => {
      await runEval(options, io);
    });
}

/** Checks which of the two forms was asked for; anything else is a usage error. */
function checkForm(options: EvalOptions): 'files' | 'data' {
  if (options.data !== undefined) {
    if (options.gt !== undefined || options.dets !== undefined) throw new CliError('--data runs the model; it does not go with --gt/--dets');
    return 'data';
  }
  if (options.gt === undefined || options.dets === undefined) {
    throw new CliError('give --gt GT.json with --dets DETS.json, or --data DIR to run the model on a dataset');
  }
  const stray = MODEL_OPTIONS.find((key) => options[key] !== undefined);
  if (stray !== undefined) throw new CliError(`${FLAG_NAMES[stray]} only applies with --data`);
  return 'files';
}

/** Writes a COCO results file, one detection per line, atomically and never over one of `inputs`. */
async function saveDetections(path: string, detections: readonly CocoDetection[], inputs: InputFiles): Promise<void> {
  const text = detections.length === 0 ? '[]\n' : `[\n${detections.map((detection) => JSON.stringify(detection)).join(',\n')}\n]\n`;
  await writeOutputFile(path, text, inputs);
}

/** Evaluates, naming the file at fault when the detections do not fit the ground truth. */
function evaluateFiles(dataset: CocoDataset, detections: CocoDetection[], gtFile: string, detsFile: string) {
  try {
    return evaluateCoco(dataset, detections);
  } catch (error) {
    const message = oneLineMessage(error);
    if (message.startsWith('groundTruth.')) throw new CliError(`${gtFile}: ${message.slice('groundTruth.'.length)}`);
    throw new CliError(`${detsFile}: ${message}`);
  }
}

/**
 * `edet eval`: either scores a COCO results file against a ground-truth file, or runs the model over every
 * image of a dataset folder's split (low score threshold, per-class NMS at 0.5, 100 per image) and scores
 * that. Prints the 12 standard numbers and per-category AP/AP50, or one JSON object with `--json`.
 * @returns the report printed
 */
export async function runEval(options: EvalOptions, io: CommandIo): Promise<EvalReport> {
  const form = checkForm(options);
  // With --json, stdout carries the JSON object alone; progress goes to stderr.
  const progress = options.json ? io.err : io.out;
  let dataset: CocoDataset;
  let detections: CocoDetection[];
  let gtFile: string;
  let detsFile: string;

  if (form === 'files') {
    gtFile = options.gt!;
    detsFile = options.dets!;
    dataset = await readCocoDataset(gtFile);
    detections = await readCocoDetections(detsFile);
  } else {
    chooseArchitecture({ model: options.model, compoundCoef: options.coef }); // contradicting options fail first
    const folder = await openEvalDataset(options.data!, options.split ?? 'val');
    const inputs = new InputFiles([folder.annotationsFile, options.weights, ...folder.imageFiles]);
    // Refused before minutes of detection, not after.
    const clash = options.saveDetections === undefined ? undefined : inputs.inputAt(options.saveDetections);
    if (clash !== undefined) throw new CliError(`refusing to write ${options.saveDetections}: it is the input ${clash}; choose another --save-detections file`);
    dataset = folder.dataset;
    gtFile = folder.annotationsFile;
    detsFile = 'the model detections';
    // Check the ground truth, and every image's header (readable, whole, the stated size), before spending
    // minutes on the model.
    evaluateFiles(dataset, [], gtFile, detsFile);
    await checkDatasetImages(
      {
        split: options.split ?? 'val',
        samples: dataset.images.map((image, index) => ({
          file: folder.imageFiles[index],
          name: image.file_name ?? folder.imageFiles[index],
          imageId: image.id,
          width: image.width ?? 0,
          height: image.height ?? 0,
        })),
      },
      { maxPixels: options.maxPixels },
    );
    const categories = categoryMap(dataset.categories);
    const backend = await startBackend(options.backend, options.threads ?? defaultWasmThreads());
    // The model's classes are the dataset's categories, in id order: by name when no weights are given,
    // so that the bundled model is evaluated only on its own classes.
    const choice = await chooseModel({ weightsFile: options.weights, model: options.model, compoundCoef: options.coef, inputSize: options.size, classNames: categories.names });
    const model = await createChosenDetector(choice, (line) => io.err(`edet: ${line}\n`));
    try {
      progress(`backend: ${describeBackend(backend)}, model: ${modelNameOf(model)}, ${categories.size} classes, weights: ${choice.description}, ${dataset.images.length} images\n`);
      const started = performance.now();
      detections = await detectDataset(model, dataset, categories, {
        imageFiles: folder.imageFiles,
        predict: { scoreThreshold: options.scoreThreshold ?? EVAL_PREDICT_OPTIONS.scoreThreshold },
        batch: options.batch ?? 8,
        maxPixels: options.maxPixels,
        progress: (done, total) => progress(`detected ${done}/${total} images\n`),
      });
      progress(`${detections.length} detections in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
      if (options.saveDetections !== undefined) await saveDetections(options.saveDetections, detections, inputs);
    } finally {
      model.dispose();
    }
  }

  const result = evaluateFiles(dataset, detections, gtFile, detsFile);
  const report = toEvalReport(result, detections.length);
  io.out(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatEvalTables(report, countObjects(dataset))}\n`);
  return report;
}
