import { checkpointClassNames, checkpointGeometry, classCountFromWeights, COCO90_LABELS, EfficientDet, type InputSize, isMarkedUntrained, parseCheckpoint, presetConfig } from '@edet/model';
import type { ParsedSafetensors } from '@edet/safetensors';

import { readBundledModel, type BundledModel } from './bundled-model.js';
import { type Architecture, architectureConfig, chooseArchitecture, describeArchitecture, dVariantOf } from './model-names.js';
import { readWeightsBytes } from './weights-bytes.js';

/** The seed of the untrained fallback weights, so that runs with them repeat exactly. */
export const DEFAULT_SEED = 42;

/** Options of `createDetector`. */
export interface DetectorOptions {
  /** The model by published name (`PRESET_NAMES`: `tf_efficientdet_lite0`, `efficientdet-d0`, ...). */
  model?: string;
  /**
   * EfficientDet variant, 0 for D0 (default 0) when `model` is not given; with `model`, it must be that
   * D variant (a `CliError` otherwise).
   */
  compoundCoef?: number;
  numClasses: number;
  /** Input side or `[height, width]` (default: the model's, 512 for D0, 320 for Lite0). */
  inputSize?: InputSize;
  /**
   * A safetensors or PyTorch `.pth` checkpoint (zylo117 or rwightman key layout); without it the weights are
   * untrained.
   */
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
 * then come from this one parse. A PyTorch `.pth` file (told by its content) is converted to safetensors
 * first (`readWeightsBytes`).
 * @returns the parsed file; `source` is `file`, which error messages start with
 * @throws FileFormatError for a missing, unreadable or corrupt file
 */
export async function readWeightsFile(file: string): Promise<ParsedSafetensors> {
  const { bytes } = await readWeightsBytes(file);
  return parseCheckpoint(bytes, { source: file });
}

/**
 * Builds the detector (by name with `presetConfig`, or as a D variant) and loads its weights. Without a
 * weights file the model keeps its seeded random initialisation and a notice says that its detections mean
 * nothing (`chooseModel` decides when that is).
 * @returns a model the caller disposes
 * @throws CliError when `model` and `compoundCoef` name different networks
 * @throws FileFormatError / StateDictError from a missing, corrupt or mismatched weights file
 */
export async function createDetector(options: DetectorOptions): Promise<EfficientDet> {
  const architecture = chooseArchitecture({ model: options.model, compoundCoef: options.compoundCoef });
  // Read first: a missing or corrupt file should fail before the model allocates its weights.
  const weights = options.weights ?? (options.weightsFile === undefined ? undefined : await readWeightsFile(options.weightsFile));
  const model = new EfficientDet(architectureConfig(architecture, { numClasses: options.numClasses, inputSize: options.inputSize, seed: DEFAULT_SEED }));
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
  /** The model by published name, when one decides (`--model`, the weights' `model` metadata, the manifest's). */
  model?: string;
  /** The D variant without a name; with one, its config's (the backbone's B variant for Lite). */
  compoundCoef: number;
  classNames: string[];
  /** The weights file to load; `undefined` for untrained weights. */
  weightsFile?: string;
  /** `--weights`, read and parsed once (`createChosenDetector` loads it without reading it again). */
  weights?: ParsedSafetensors;
  /** Input size: `--size`, else what the weights say (their `input_size` metadata, the bundled model's manifest), else the preset's. */
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
  /** `--model`, a published name (wins over the weights' metadata); must agree with `compoundCoef` when both are given. */
  model?: string;
  /**
   * `--coef` (wins over the weights' metadata); default: the weights' `model` metadata, else their
   * `compound_coef`, else 0 (D0).
   */
  compoundCoef?: number;
  /** `--size`; default: the weights' `input_size` metadata (or the bundled model's), else the model's preset. */
  inputSize?: InputSize;
  /** The class names asked for (`--classes`, or a dataset's categories); `undefined` when nothing asks. */
  classNames?: readonly string[];
  /** Where the bundled model is looked up (tests); the default is `BUNDLED_MODEL_DIRECTORY`. */
  bundledDirectory?: string;
}

/**
 * The class names of a weights file: its `classes` metadata (`edet train` and the bundled model write it);
 * without that, as many classes as its class head has: COCO's names for 90 (the official checkpoints),
 * else `class 0`, `class 1`, ... (a PyTorch state dict of a user's own training run).
 * @throws FileFormatError when the metadata names classes but is not a class list
 */
function classNamesOfWeights(weights: ParsedSafetensors): string[] {
  const named = checkpointClassNames(weights);
  if (named !== undefined) return named;
  const count = classCountFromWeights(weights);
  if (count === undefined || count === COCO90_LABELS.length) return [...COCO90_LABELS];
  return Array.from({ length: count }, (_, id) => `class ${id}`);
}

/** The architecture fields of a choice. */
function architectureFields(architecture: Architecture): Pick<ModelChoice, 'model' | 'compoundCoef'> {
  if (architecture.model === undefined) return { compoundCoef: architecture.compoundCoef };
  return { model: architecture.model, compoundCoef: presetConfig(architecture.model).compoundCoef };
}

/** Whether two architectures are the same network: a name and a bare D variant match when the name is that D. */
function sameNetwork(a: Architecture, b: Architecture): boolean {
  if (a.model !== undefined && b.model !== undefined) return a.model === b.model;
  if (a.model !== undefined) return dVariantOf(a.model) === b.compoundCoef;
  if (b.model !== undefined) return dVariantOf(b.model) === a.compoundCoef;
  return a.compoundCoef === b.compoundCoef;
}

/**
 * Decides which weights a command runs, and the network they go in. A `--weights` file always wins (class
 * names default to those in its metadata, else as many as its class head has: COCO's 90 names for the
 * official checkpoints); the network is `--model`, else `--coef`, else the one its metadata records
 * (`model`, else `compound_coef`), else D0. Without one, the bundled model (BCCD D0) is used whenever nothing
 * asks for something else: no `--model` / `--coef` or ones naming its network, and no class names or exactly
 * its class names. Otherwise the model gets seeded untrained weights, with a reason for the notice.
 * @throws CliError when `--model` and `--coef` disagree
 * @throws FileFormatError when the weights' metadata or the bundled model's manifest is broken
 */
export async function chooseModel(request: ModelRequest): Promise<ModelChoice> {
  if (request.weightsFile !== undefined) {
    // Checked before the file is read: a contradiction needs no weights to be seen.
    chooseArchitecture({ model: request.model, compoundCoef: request.compoundCoef });
    // Read and parsed here, once: a bad file fails before any other work, and the model loads this parse.
    const weights = await readWeightsFile(request.weightsFile);
    const recorded = checkpointGeometry(weights.header.metadata, request.weightsFile);
    const classNames = request.classNames === undefined ? classNamesOfWeights(weights) : [...request.classNames];
    return {
      ...architectureFields(chooseArchitecture({ model: request.model, compoundCoef: request.compoundCoef, recorded })),
      classNames,
      weightsFile: request.weightsFile,
      weights,
      inputSize: request.inputSize ?? recorded.inputSize,
      description: request.weightsFile,
    };
  }
  const asked = chooseArchitecture({ model: request.model, compoundCoef: request.compoundCoef });
  const untrained = (untrainedReason: string): ModelChoice => ({
    ...architectureFields(asked),
    inputSize: request.inputSize,
    classNames: [...(request.classNames ?? COCO90_LABELS)],
    untrainedReason,
    description: `untrained (seed ${DEFAULT_SEED})`,
  });
  const bundled = await readBundledModel(request.bundledDirectory);
  if (bundled === undefined) return untrained('no trained model is bundled');
  const { manifest } = bundled;
  const own = chooseArchitecture({ recorded: manifest });
  // Nothing asked: the bundled model's network. Asked: the request, named as the manifest names it when they agree.
  const nothingAsked = request.model === undefined && request.compoundCoef === undefined;
  const architecture = nothingAsked ? own : chooseArchitecture({ model: request.model, compoundCoef: request.compoundCoef, recorded: manifest });
  if (!sameNetwork(architecture, own)) {
    return untrained(`the bundled model (${manifest.name}) is ${describeArchitecture(own)}, not ${describeArchitecture(architecture)}`);
  }
  const classNames = request.classNames;
  if (classNames !== undefined && (classNames.length !== manifest.labels.length || classNames.some((name, index) => name !== manifest.labels[index]))) {
    return untrained(`the bundled model (${manifest.name}) has other classes (${manifest.labels.join(', ')})`);
  }
  return {
    ...architectureFields(architecture),
    classNames: [...manifest.labels],
    weightsFile: bundled.weightsFile,
    inputSize: request.inputSize ?? manifest.inputSize,
    bundled,
    description: `${manifest.name} (bundled)`,
  };
}

/** `createDetector` for a `chooseModel` decision. The caller disposes the model. */
export function createChosenDetector(choice: ModelChoice, notice: (line: string) => void): Promise<EfficientDet> {
  return createDetector({
    ...(choice.model === undefined ? { compoundCoef: choice.compoundCoef } : { model: choice.model }),
    numClasses: choice.classNames.length,
    inputSize: choice.inputSize,
    weightsFile: choice.weightsFile,
    weights: choice.weights,
    untrainedReason: choice.untrainedReason,
    notice,
  });
}
