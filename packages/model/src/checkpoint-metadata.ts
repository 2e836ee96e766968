import type { ParsedSafetensors } from '@edet/safetensors';
import { FileFormatError } from '@edet/tensor';

import { classCountFromWeights } from './class-count.js';

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
  /** `compound_coef`: 0..8 for D0..D7x. */
  compoundCoef?: number;
  /** `input_size`: the side of the square input it was trained and saved at, a multiple of 128. */
  inputSize?: number;
}

/** The metadata `EfficientDet.saveSafetensors` writes for a configuration (`compound_coef`, `input_size`). */
export function geometryMetadata(config: { compoundCoef: number; inputSize: number }): Record<string, string> {
  return { compound_coef: String(config.compoundCoef), input_size: String(config.inputSize) };
}

/**
 * The variant and input size a checkpoint records in its `__metadata__` (`compound_coef`, `input_size`, as
 * `EfficientDet.saveSafetensors` writes them), so that a loader runs the weights at the size they were
 * trained at. Official checkpoints record neither (both `undefined`: use the preset's).
 * @param source the file, for error messages
 * @throws FileFormatError naming the file and key when a value is present but not a valid one
 */
export function checkpointGeometry(metadata: Readonly<Record<string, string>> | undefined, source = 'checkpoint'): CheckpointGeometry {
  const read = (key: string, valid: (value: number) => boolean, expected: string): number | undefined => {
    const text = metadata?.[key];
    if (text === undefined) return undefined;
    const value = typeof text === 'string' && /^\d{1,6}$/.test(text) ? Number(text) : NaN;
    if (!valid(value)) throw new FileFormatError(`${source} (metadata "${key}")`, `expected ${expected}, got ${JSON.stringify(text)}`);
    return value;
  };
  return {
    compoundCoef: read('compound_coef', (value) => Number.isInteger(value) && value >= 0 && value <= 8, 'an integer from 0 to 8'),
    inputSize: read('input_size', (value) => Number.isInteger(value) && value > 0 && value % 128 === 0, 'a positive multiple of 128'),
  };
}
