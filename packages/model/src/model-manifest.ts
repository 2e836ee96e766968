import { FileFormatError, POOL_PADDINGS, type PoolPadding } from '@edet/tensor';

import { type InputSize, isInputSize } from './input-size.js';
import { PRESET_NAMES } from './named-presets.js';

/** The manifest's file name inside a model folder (beside the weights file it names). */
export const MODEL_MANIFEST_FILE = 'model.json';

/** The 12 COCO numbers of an `edet eval --json` report, by name, for one split. */
export interface ModelEvaluation {
  split: string;
  /** `AP`, `AP50`, ... `ARl` (as `edet eval` names them); -1 where nothing could be measured. */
  stats: Record<string, number>;
  /** Per class: AP and AP50. */
  perClass: { name: string; AP: number; AP50: number }[];
  images: number;
}

/**
 * `model.json`: what a trained weights file is, so that the architecture and the labels travel with it.
 * The first six fields are what loading needs (`createModelFromManifest`); the rest is provenance, written
 * by the trainer's `scripts/bundle-model.mjs` (`null` until known) and ignored when loading. Example:
 * `{ "name": "EfficientDet-D0 BCCD", "weights": "weights.safetensors", "compoundCoef": 0, "inputSize": 512, "labels": ["RBC", "WBC", "Platelets"] }`.
 */
export interface ModelManifest {
  /** Shown by the demo and `edet detect`. */
  name: string;
  /** The safetensors file, relative to the manifest. */
  weights: string;
  /** EfficientDet variant (0 = D0). */
  compoundCoef: number;
  /**
   * The model by published name (`PRESET_NAMES`: `tf_efficientdet_lite0`, `efficientdet-d0`, ...), for models
   * `compoundCoef` cannot describe (Lite). When given, it decides the architecture and `compoundCoef` is
   * informational.
   */
  model?: string;
  /** One name per class id; its length is the number of classes. */
  labels: string[];
  /** False for weights that are not trained (the demo then says so). Default true. */
  trained?: boolean;
  /** The input the model runs at (letterboxed): a square side or `[height, width]`, positive integers. */
  inputSize: InputSize;
  /**
   * What the BiFPN's max-pools pad with (`zero` for zylo117-trained weights, `neg-inf` for official / effdet
   * ones). Absent: the weights file's own (its metadata, else its key layout's).
   */
  poolPadding?: PoolPadding;
  /** Float precision of the weights file. */
  dtype?: 'F32' | 'F16' | 'BF16';
  /** The command line that trained the weights. */
  trainingCommand?: string | null;
  /** The data the weights were trained on, in words. */
  dataset?: string | null;
  /** `edet eval` on a held-out split, of the bundled (converted) weights. */
  evaluation?: ModelEvaluation | null;
  /** Where the weights came from, as the bundling script found them. */
  source?: Record<string, unknown>;
  /** The check of the converted weights against the source, as the bundling script measured it. */
  conversion?: Record<string, unknown>;
}

/**
 * Checks a parsed `model.json` (the one checker the CLI, the demo and the bundled model packages use).
 * @param value the parsed JSON
 * @param source the file name or URL, for error messages
 * @returns `value`, typed
 * @throws FileFormatError naming `source` and the first field that is missing or of the wrong type
 */
export function checkModelManifest(value: unknown, source: string): ModelManifest {
  const problem = (what: string) => new FileFormatError(source, what);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw problem('expected a JSON object');
  const manifest = value as Partial<ModelManifest>;
  if (typeof manifest.name !== 'string' || manifest.name === '') throw problem('"name" must be a non-empty string');
  if (typeof manifest.weights !== 'string' || manifest.weights === '') throw problem('"weights" must name the safetensors file');
  if (!Number.isInteger(manifest.compoundCoef) || (manifest.compoundCoef as number) < 0) {
    throw problem('"compoundCoef" must be an integer >= 0 (0 for D0)');
  }
  if (!isInputSize(manifest.inputSize)) {
    throw problem('"inputSize" must be a positive integer (square side) or [height, width] of positive integers');
  }
  if (!Array.isArray(manifest.labels) || manifest.labels.length === 0 || !manifest.labels.every((label) => typeof label === 'string')) {
    throw problem('"labels" must be a non-empty array of class names');
  }
  if (manifest.trained !== undefined && typeof manifest.trained !== 'boolean') throw problem('"trained" must be true or false');
  if (manifest.model !== undefined && !PRESET_NAMES.includes(manifest.model as string)) {
    throw problem(`"model" must be a model name (${PRESET_NAMES.join(', ')})`);
  }
  if (manifest.poolPadding !== undefined && !(POOL_PADDINGS as readonly unknown[]).includes(manifest.poolPadding)) {
    throw problem(`"poolPadding" must be ${POOL_PADDINGS.map((p) => `"${p}"`).join(' or ')}`);
  }
  return manifest as ModelManifest;
}

/**
 * Parses and checks the text of a `model.json`.
 * @param source the file name or URL, for error messages
 * @throws FileFormatError naming `source` for invalid JSON or an invalid manifest
 */
export function parseModelManifest(text: string, source: string): ModelManifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new FileFormatError(source, `invalid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  return checkModelManifest(parsed, source);
}
