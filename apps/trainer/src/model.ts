import { COCO90_LABELS, EfficientDet, type InputSize, isMarkedUntrained, parseCheckpoint } from '@edet/model';
import type { ParsedSafetensors } from '@edet/safetensors';
import { FileFormatError } from '@edet/tensor';

import { readBundledModel, type BundledModel } from './bundled-model.js';
import { parseClassNames } from './classes.js';
import { readInputFile } from './files.js';

/** The seed of the untrained fallback weights, so that runs with them repeat exactly. */
export const DEFAULT_SEED = 42;

/** Options of `createDetector`. */
export interface DetectorOptions {
  /** EfficientDet variant, 0 for D0. */
  compoundCoef: number;
  numClasses: number;
  /** Input side (default: the variant's, 512 for D0). */
  inputSize?: InputSize;
  /** A safetensors checkpoint (zylo117 or rwightman key layout); without it the weights are untrained. */
  weightsFile?: string;
  /** `weightsFile` already read and parsed (`readWeightsFile`): it is then not read again. */
  weights?: ParsedSafetensors;
  /** Without `weightsFile`: why the bundled model is not used, for the untrained-weights notice. */
  untrainedReason?: string;
  /** Where notices go (one line each). */
  notice: (line: string) => void;
}

/**
 * Reads a weights file and parses its header, once: the metadata (class names, `trained`) and the tensors
 * then come from this one parse.
 * @returns the parsed file; `source` is `file`, which error messages start with
 * @throws FileFormatError for a missing, unreadable or corrupt file
 */
export async function readWeightsFile(file: string): Promise<ParsedSafetensors> {
  return parseCheckpoint(await readInputFile(file), { source: file });
}

/**
 * Builds the detector and loads its weights. Without a weights file the model keeps its seeded random
 * initialisation and a notice says that its detections mean nothing (`chooseModel` decides when that is).
 * @returns a model the caller disposes
 * @throws FileFormatError / StateDictError from a missing, corrupt or mismatched weights file
 */
export async function createDetector(options: DetectorOptions): Promise<EfficientDet> {
  // Read first: a missing or corrupt file should fail before the model allocates its weights.
  const weights = options.weights ?? (options.weightsFile === undefined ? undefined : await readWeightsFile(options.weightsFile));
  const model = new EfficientDet({
    compoundCoef: options.compoundCoef,
    numClasses: options.numClasses,
    inputSize: options.inputSize,
    seed: DEFAULT_SEED,
  });
  if (weights === undefined) {
    const reason = options.untrainedReason === undefined ? '' : ` and ${options.untrainedReason}`;
    options.notice(
      `note: no --weights given${reason}, so the model has untrained weights (seed ${DEFAULT_SEED}): scores sit near the 1% class prior and boxes are meaningless (try --score-threshold 0.005 to see them)`,
    );
    return model;
  }
  try {
    model.loadSafetensors(weights);
  } catch (error) {
    model.dispose();
    throw error;
  }
  if (isMarkedUntrained(weights.header.metadata)) {
    options.notice(`note: ${weights.source} marks itself as untrained weights; its detections are meaningless`);
  }
  return model;
}

/** What `chooseModel` decided: the weights, the class names that go with them, and how to describe them. */
export interface ModelChoice {
  compoundCoef: number;
  classNames: string[];
  /** The weights file to load; `undefined` for untrained weights. */
  weightsFile?: string;
  /** `--weights`, read and parsed once (`createChosenDetector` loads it without reading it again). */
  weights?: ParsedSafetensors;
  /** Input side, when the weights say which (the bundled model's manifest does). */
  inputSize?: InputSize;
  /** Set when the weights are the bundled model. */
  bundled?: BundledModel;
  /** With untrained weights: why the bundled model does not apply (for the notice). */
  untrainedReason?: string;
  /** A few words for the progress line: the bundled model's name, the weights file or `untrained`. */
  description: string;
}

/** Options of `chooseModel`. */
export interface ModelRequest {
  /** `--weights`. */
  weightsFile?: string;
  /** `--coef`. */
  compoundCoef: number;
  /** The class names asked for (`--classes`, or a dataset's categories); `undefined` when nothing asks. */
  classNames?: readonly string[];
  /** Where the bundled model is looked up (tests); the default is `BUNDLED_MODEL_DIRECTORY`. */
  bundledDirectory?: string;
}

/**
 * The class names a weights file carries in its `classes` metadata (`edet train` and the bundled model
 * write it), or COCO's 90, which the official checkpoints use and do not name.
 * @throws FileFormatError when the metadata names classes but is not a class list
 */
function classNamesOfWeights(weights: ParsedSafetensors): string[] {
  const classes = weights.header.metadata.classes;
  if (classes === undefined) return [...COCO90_LABELS];
  const source = `${weights.source} (metadata "classes")`;
  // Always written as a JSON array: anything else is a damaged header, not a one-line class list.
  if (!classes.trimStart().startsWith('[')) throw new FileFormatError(source, 'expected a JSON array of class-name strings');
  return parseClassNames(classes, source);
}

/**
 * Decides which weights a command runs. A `--weights` file always wins (class names default to those in
 * its metadata, else COCO's 90, as the official checkpoints use). Without one, the bundled model (BCCD D0) is used whenever nothing asks
 * for something else: the same variant, and no class names or exactly its class names. Otherwise the
 * model gets seeded untrained weights, with a reason for the notice.
 * @throws FileFormatError when the bundled model's manifest is present but broken
 */
export async function chooseModel(request: ModelRequest): Promise<ModelChoice> {
  const { compoundCoef } = request;
  if (request.weightsFile !== undefined) {
    // Read and parsed here, once: a bad file fails before any other work, and the model loads this parse.
    const weights = await readWeightsFile(request.weightsFile);
    const classNames = request.classNames === undefined ? classNamesOfWeights(weights) : [...request.classNames];
    return { compoundCoef, classNames, weightsFile: request.weightsFile, weights, description: request.weightsFile };
  }
  const untrained = (untrainedReason: string): ModelChoice => ({
    compoundCoef,
    classNames: [...(request.classNames ?? COCO90_LABELS)],
    untrainedReason,
    description: `untrained (seed ${DEFAULT_SEED})`,
  });
  const bundled = await readBundledModel(request.bundledDirectory);
  if (bundled === undefined) return untrained('no trained model is bundled');
  const { manifest } = bundled;
  if (manifest.compoundCoef !== compoundCoef) {
    return untrained(`the bundled model (${manifest.name}) is D${manifest.compoundCoef}, not D${compoundCoef}`);
  }
  const asked = request.classNames;
  if (asked !== undefined && (asked.length !== manifest.labels.length || asked.some((name, index) => name !== manifest.labels[index]))) {
    return untrained(`the bundled model (${manifest.name}) has other classes (${manifest.labels.join(', ')})`);
  }
  return {
    compoundCoef,
    classNames: [...manifest.labels],
    weightsFile: bundled.weightsFile,
    inputSize: manifest.inputSize,
    bundled,
    description: `${manifest.name} (bundled)`,
  };
}

/** `createDetector` for a `chooseModel` decision. The caller disposes the model. */
export function createChosenDetector(choice: ModelChoice, notice: (line: string) => void): Promise<EfficientDet> {
  return createDetector({
    compoundCoef: choice.compoundCoef,
    numClasses: choice.classNames.length,
    inputSize: choice.inputSize,
    weightsFile: choice.weightsFile,
    weights: choice.weights,
    untrainedReason: choice.untrainedReason,
    notice,
  });
}
