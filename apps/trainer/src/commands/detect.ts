import { mkdir } from 'node:fs/promises';

import { Option, type Command } from 'commander';
import { MAX_IMAGE_PIXELS } from '@edet/data';
import { describePoolPadding, type InputSize, modelScopeNotice, type PredictOptions } from '@edet/model';

import { MAX_DEFAULT_WASM_THREADS, NODE_BACKENDS, defaultWasmThreads, describeBackend, startBackend, type NodeBackend } from '../backend.js';
import { labeller, loadClassNames } from '../classes.js';
import { CliError, oneLineMessage } from '../errors.js';
import { annotateImage } from '../draw/annotate.js';
import { readImageInput } from '../files.js';
import { formatJsonReport, toImageReport, type ImageReport } from '../format/json.js';
import { formatDetectionTable } from '../format/table.js';
import { encodeCanvas } from '../image/encode.js';
import type { CommandIo } from '../io.js';
import { chooseModel, createChosenDetector } from '../model.js';
import { MODEL_NAMES_HINT, modelNameOf, parseModelName } from '../model-names.js';
import { integerParser, parseFraction, parseInputSize, parseLimit } from '../options.js';
import { InputFiles, writeOutputFile } from '../output-files.js';
import { OutputNames } from '../output-names.js';
import { sampleImages } from '../samples.js';

/** NMS variants of `--nms`, as `PredictOptions.nms` names them. */
const NMS_MODES = ['per-class', 'agnostic', 'soft'] as const;

/** The parsed options of `edet detect`. */
export interface DetectOptions {
  /** wasm threads (default: one per core, at most 8; 1: tfjs's single-threaded build). */
  threads?: number;
  weights?: string;
  /** `coco90` or a class-names file; default: the bundled model's classes, or with `weights` the file's `classes` metadata, else as many as its class head has (COCO's names for 90). */
  classes?: string;
  /** Model by published name; default: the weights' `model` metadata (or the bundled model's), else `coef`'s D variant. */
  model?: string;
  /** EfficientDet variant (must agree with `model`); default: the weights' `compound_coef` metadata, else 0. */
  coef?: number;
  /** Input side or `[height, width]`; default: the weights' `input_size` metadata (or the bundled model's), else the model's. */
  size?: InputSize;
  /** The most pixels an input image may have (default `MAX_IMAGE_PIXELS`). */
  maxPixels?: number;
  scoreThreshold: number;
  iouThreshold: number;
  nms: (typeof NMS_MODES)[number];
  /** Per-image cap; `Infinity` for none. */
  maxDetections: number;
  /** Images per forward pass (default 8). */
  batch?: number;
  backend?: NodeBackend;
  json: boolean;
  out: string;
}

/** Images per forward pass when `--batch` is not given: one pass per 8 images, as `edet eval`. */
export const DEFAULT_DETECT_BATCH = 8;

/** Adds `edet detect` to the program. */
export function registerDetectCommand(program: Command, io: CommandIo): void {
  program
    .command('detect')
    .description('detect objects in JPEG/PNG images; print a table (or JSON) and write annotated copies')
    .argument('[images...]', 'JPEG or PNG files (default: the bundled sample images)')
    .option('--weights <file>', 'safetensors or PyTorch .pth checkpoint, zylo117 or rwightman keys (default: the bundled BCCD D0 model)')
    .option('--classes <list>', "class names: coco90, or a file (JSON array, or one name per line) (default: the bundled model's; with --weights, the file's classes metadata, else as many as its class head has: coco90 for 90, else class 0, class 1, ...)")
    .option('--model <name>', `model by published name: ${MODEL_NAMES_HINT} (default: the weights' model metadata, else --coef)`, parseModelName)
    .option('--coef <n>', "EfficientDet variant, 0 for D0, as zylo117's efficientdet-d<n> (default: the weights' compound_coef metadata, else 0)", integerParser(0))
    .option('--size <n>', "input side (any positive integer) or HEIGHTxWIDTH, e.g. 384x640 (default: the weights' input_size metadata, else the model's, 512 for D0)", parseInputSize)
    .option('--max-pixels <n>', `refuse images with more pixels than this (default: ${MAX_IMAGE_PIXELS})`, integerParser(1))
    .option('--score-threshold <s>', 'keep detections scoring above this', parseFraction, 0.2)
    .option('--iou-threshold <t>', 'NMS overlap threshold', parseFraction, 0.2)
    .addOption(new Option('--nms <mode>', 'non-maximum suppression').choices(NMS_MODES).default('per-class'))
    // A cap by default: untrained or badly thresholded weights can pass thousands of boxes per image.
    .option('--max-detections <k>', 'keep at most this many detections per image, or "all"', parseLimit, 100)
    .option('--batch <n>', `images per forward pass (default: ${DEFAULT_DETECT_BATCH})`, integerParser(1))
    .addOption(new Option('--backend <name>', 'tfjs backend (default: wasm, falling back to cpu)').choices(NODE_BACKENDS))
    .option('--threads <n>', `wasm threads: above 1, tfjs's threaded build (default: one per core, at most ${MAX_DEFAULT_WASM_THREADS})`, integerParser(1))
    .option('--json', 'print one JSON array on stdout instead of tables', false)
    .option('--out <dir>', 'folder for annotated images', 'out')
    .action(async (images: string[], options: DetectOptions) => {
      await runDetect(images, options, io);
    });
}

/**
 * Runs detection on each image and reports it. Every input is read and decoded, and the output folder made,
 * before the model is built, so a bad file fails fast; then images go through the model `--batch` at a
 * time, one forward pass per batch (each image letterboxed on its own). Annotated images never replace an
 * input file and never follow a link (`writeOutputFile`).
 */
export async function runDetect(images: readonly string[], options: DetectOptions, io: CommandIo): Promise<ImageReport[]> {
  const files = images.length > 0 ? [...images] : sampleImages();
  const choice = await chooseModel({
    weightsFile: options.weights,
    model: options.model,
    compoundCoef: options.coef,
    inputSize: options.size,
    classNames: options.classes === undefined ? undefined : await loadClassNames(options.classes),
  });
  const names = choice.classNames;
  const labelOf = labeller(names);
  const decoded = [];
  for (const file of files) decoded.push({ file, ...(await readImageInput(file, options.maxPixels)) });

  try {
    await mkdir(options.out, { recursive: true });
  } catch (error) {
    throw new CliError(`cannot create the output folder ${options.out} (${oneLineMessage(error)})`);
  }
  // No output may land on an input: `--out .` next to the images, or a link to one, gets another name.
  const inputs = new InputFiles([...files, options.weights, options.classes]);
  // Paths printed as the user gave them: `--out /abs` prints absolute paths, `--out out` relative ones.
  const outputNames = new OutputNames(options.out, inputs);

  const backend = await startBackend(options.backend, options.threads ?? defaultWasmThreads());
  const notice = (line: string) => io.err(`edet: ${line}\n`);
  const model = await createChosenDetector(choice, notice);
  const predictOptions: PredictOptions = {
    scoreThreshold: options.scoreThreshold,
    iouThreshold: options.iouThreshold,
    nms: options.nms,
    maxDetections: options.maxDetections,
  };

  // With --json, stdout carries the JSON array alone; progress goes to stderr.
  const progress = options.json ? io.err : io.out;
  const reports: ImageReport[] = [];
  try {
    if (!options.json) {
      io.out(`backend: ${describeBackend(backend)}, model: ${modelNameOf(model)}, ${names.length} classes, weights: ${choice.description}\n`);
      // The numerics the weights run with are never silent: they follow the checkpoint's origin.
      io.out(`numerics: max-pool padding ${describePoolPadding(model.poolPadding)}\n`);
    }
    // A model knows only its classes: say so, or its boxes on a photo of anything else look like detections.
    const scope = choice.bundled === undefined ? undefined : modelScopeNotice(choice.bundled.manifest);
    if (scope !== undefined) notice(`note: ${scope}`);
    const batch = options.batch ?? DEFAULT_DETECT_BATCH;
    for (let start = 0; start < decoded.length; start += batch) {
      const chunk = decoded.slice(start, start + batch);
      // Clipped to each image, the library's default.
      const perImage = await model.detect(chunk.map(({ image }) => image), predictOptions);
      for (const [index, { file, image, format }] of chunk.entries()) {
        const detections = perImage[index];
        reports.push(toImageReport(file, detections, labelOf));
        if (!options.json) io.out(`${formatDetectionTable(file, detections, labelOf)}\n`);
        const output = outputNames.next(file, format);
        const canvas = annotateImage(image, detections, { labelOf });
        await writeOutputFile(output.path, await encodeCanvas(canvas, output.format), inputs);
        progress(`annotated: ${output.path}\n`);
      }
    }
  } finally {
    model.dispose();
  }
  if (options.json) io.out(`${formatJsonReport(reports)}\n`);
  return reports;
}
