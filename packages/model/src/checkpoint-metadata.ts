import { FileFormatError } from '@edet/tensor';

/**
 * Whether a checkpoint says of itself, in its safetensors `__metadata__`, that it is not trained
 * (`trained: "false"`, or `synthetic: "true"` as the project's synthetic test checkpoints say). Detections
 * of such weights mean nothing, and the CLI and the demo say so.
 * @param metadata the header's metadata (`parseSafetensors(bytes).header.metadata`); `undefined` counts as trained
 */
export function isMarkedUntrained(metadata: Readonly<Record<string, string>> | undefined): boolean {
  return metadata?.trained === 'false' || metadata?.synthetic === 'true';
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
