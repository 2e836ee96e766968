import type { ParsedSafetensors } from '@edet/safetensors';
import { FileFormatError } from '@edet/tensor';

import { type InputSize, inputShape } from './input-size.js';
import { classCountFromWeights } from './class-count.js';
import { PRESET_NAMES, presetConfig } from './named-presets.js';

/**
 * Whether a checkpoint says of itself, in its safetensors `__metadata__`, that it is not trained
 * (`trained: "false"`, or `synthetic: "true"` as the project's synthetic test checkpoints say). Detections
 * of such weights mean nothing, and the CLI and the demo say so.
 * @param metadata the header's metadata (`parseSafetensors(bytes).header.metadata`); `undefined` counts as trained
 * @param source names the file in the error
 * @throws FileFormatError when `trained` or `synthetic` is present but neither "true" nor "false"
 */
export function isMarkedUntrained(metadata: Readonly<Record<string, string>> | undefined, source = 'checkpoint'): boolean {
  for (const field of ['trained', 'synthetic']) {
    const value = metadata?.[field];
    if (value !== undefined && value !== 'true' && value !== 'false') {
      throw new FileFormatError(source, `metadata "${field}" must be "true" or "false", got ${JSON.stringify(value.slice(0, 40))}`);
    }
  }
  return metadata?.trained === 'false' || metadata?.synthetic === 'true';
}

/**
 * The class names a checkpoint carries in its `classes` metadata (`edet train` and the bundled model write
 * it: a JSON array of strings, `''` for unnamed ids), checked against its class head.
 * @param weights the parsed file (`parseCheckpoint`)
 * @returns the names, or `undefined` when the file has no `classes` metadata (then `classCountFromWeights`
 *   gives the count)
 * @throws FileFormatError naming the file and the field when `classes` is not a non-empty JSON array of
 *   strings, or names another number of classes than the class head has
 */
export function checkpointClassNames(weights: ParsedSafetensors): string[] | undefined {
  const text = weights.header.metadata.classes;
  if (text === undefined) return undefined;
  const fail = (problem: string): never => {
    throw new FileFormatError(weights.source, `metadata "classes" ${problem}`);
  };
  let names: unknown;
  try {
    names = JSON.parse(text);
  } catch {
    fail(`must be a JSON array of class-name strings, got ${JSON.stringify(text.slice(0, 40))}`);
  }
  if (!Array.isArray(names) || !names.every((name) => typeof name === 'string')) {
    fail(`must be a JSON array of class-name strings, got ${JSON.stringify(text.slice(0, 40))}`);
  }
  const list = names as string[];
  if (list.length === 0) fail('is an empty list: a model has at least one class');
  const headClasses = classCountFromWeights(weights);
  if (headClasses !== undefined && headClasses !== list.length) {
    fail(`names ${list.length} classes, but the class head has ${headClasses}`);
  }
  return list;
}

/**
 * Checks every metadata field edet reads (`trained`, `synthetic`, `classes`), so that a damaged header is
 * refused when the weights load, not later by whoever reads the field.
 * @throws FileFormatError naming the file and the field
 */
export function checkCheckpointMetadata(weights: ParsedSafetensors): void {
  isMarkedUntrained(weights.header.metadata, weights.source);
  checkpointClassNames(weights);
}

/** What a checkpoint's metadata says about the network it was saved from. */
export interface CheckpointGeometry {
  /**
   * `model`: the published name the network was built from (one of `PRESET_NAMES`); when present it decides
   * the architecture (`presetConfig(model)`), and `compoundCoef` is the backbone's for Lite models.
   */
  model?: string;
  /** `compound_coef`: 0..8 for D0..D7x. */
  compoundCoef?: number;
  /** `input_size`: the input it was trained and saved at, a square side or `[height, width]`. */
  inputSize?: InputSize;
}

/**
 * The metadata `EfficientDet.saveSafetensors` writes for a configuration: `model` when the configuration
 * was built from a published name (`presetConfig`), `compound_coef`, and `input_size` as `"512"` for a
 * square input or `"384x640"` for `[height, width]`.
 */
export function geometryMetadata(config: { compoundCoef: number; inputSize: InputSize; model?: string }): Record<string, string> {
  const [height, width] = inputShape(config.inputSize, 'config.inputSize');
  const size = { compound_coef: String(config.compoundCoef), input_size: height === width ? String(height) : `${height}x${width}` };
  return config.model === undefined ? size : { model: config.model, ...size };
}

/**
 * The model, variant and input size a checkpoint records in its `__metadata__` (`model`, `compound_coef`,
 * `input_size`, as `EfficientDet.saveSafetensors` writes them), so that a loader rebuilds the network the
 * weights were saved from and runs them at the size they were trained at. Official checkpoints record none
 * (all `undefined`: use the preset's).
 * Other tools write `model` as free text (`"efficientdet-d0 (zylo117 layout)"`): a value outside
 * `PRESET_NAMES` in a file without `compound_coef` is such a description and is not returned; in a file with
 * `compound_coef` (as edet writes them, always with a name) it is an error.
 * @param source the file, for error messages
 * @throws FileFormatError naming the file and key when a value is present but not a valid one (for `model`,
 *   a name outside `PRESET_NAMES` beside `compound_coef`; the message lists the accepted names)
 */
export function checkpointGeometry(metadata: Readonly<Record<string, string>> | undefined, source = 'checkpoint'): CheckpointGeometry {
  const fail = (key: string, expected: string, text: string): never => {
    throw new FileFormatError(`${source} (metadata "${key}")`, `expected ${expected}, got ${JSON.stringify(String(text).slice(0, 60))}`);
  };
  const coefText = metadata?.compound_coef;
  const modelText = metadata?.model;
  const named = modelText !== undefined && PRESET_NAMES.includes(modelText);
  if (modelText !== undefined && !named && coefText !== undefined) fail('model', `a model name (${PRESET_NAMES.join(', ')})`, modelText);
  const model = named ? modelText : undefined;
  let compoundCoef: number | undefined;
  if (coefText !== undefined) {
    compoundCoef = typeof coefText === 'string' && /^\d$/.test(coefText) ? Number(coefText) : NaN;
    if (!(compoundCoef >= 0 && compoundCoef <= 8)) fail('compound_coef', 'an integer from 0 to 8', coefText);
    // A named model fixes its variant: a file that says otherwise is damaged, and which to trust is unknown.
    const variant = model === undefined ? undefined : presetConfig(model).compoundCoef;
    if (variant !== undefined && variant !== compoundCoef) fail('compound_coef', `${variant}, the variant of "model" ${model}`, coefText);
  }
  const sizeText = metadata?.input_size;
  let inputSize: InputSize | undefined;
  if (sizeText !== undefined) {
    const match = typeof sizeText === 'string' ? /^(\d{1,5})(?:x(\d{1,5}))?$/.exec(sizeText) : null;
    const sides = match === null ? [] : [Number(match[1]), Number(match[2] ?? match[1])];
    if (sides.length === 0 || sides.some((side) => side <= 0)) fail('input_size', 'a positive side ("512") or HEIGHTxWIDTH ("384x640")', sizeText);
    inputSize = sides[0] === sides[1] ? sides[0] : [sides[0], sides[1]];
  }
  return { model, compoundCoef, inputSize };
}
