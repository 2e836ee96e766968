import { EfficientDet } from '@edet/model';

import { readInputFile } from './files.js';
import { isMarkedUntrained, safetensorsMetadata } from './weights-metadata.js';

/** The seed of the untrained default weights, so that runs without `--weights` repeat exactly. */
export const DEFAULT_SEED = 42;

/** Options of `createDetector`. */
export interface DetectorOptions {
  /** EfficientDet variant, 0 for D0. */
  compoundCoef: number;
  numClasses: number;
  /** A safetensors checkpoint (zylo117 or rwightman key layout); without it the weights are untrained. */
  weightsFile?: string;
  /** Where notices go (one line each). */
  notice: (line: string) => void;
}

/**
 * Builds the detector and loads its weights. No trained checkpoint is bundled yet, so without a weights
 * file the model keeps its seeded random initialisation and a notice says that its detections mean nothing.
 * @returns a model the caller disposes
 * @throws FileFormatError / StateDictError from a missing, corrupt or mismatched weights file
 */
export async function createDetector(options: DetectorOptions): Promise<EfficientDet> {
  // Read first: a missing file should fail before the model allocates its weights.
  const bytes = options.weightsFile === undefined ? undefined : await readInputFile(options.weightsFile);
  const model = new EfficientDet({
    compoundCoef: options.compoundCoef,
    numClasses: options.numClasses,
    seed: DEFAULT_SEED,
  });
  if (bytes === undefined) {
    options.notice(
      `note: no --weights given, so the model has untrained weights (seed ${DEFAULT_SEED}): scores sit near the 1% class prior and boxes are meaningless (try --score-threshold 0.005 to see them)`,
    );
    return model;
  }
  try {
    model.loadSafetensors(bytes, { source: options.weightsFile });
  } catch (error) {
    model.dispose();
    throw error;
  }
  if (isMarkedUntrained(safetensorsMetadata(bytes))) {
    options.notice(`note: ${options.weightsFile} marks itself as untrained weights; its detections are meaningless`);
  }
  return model;
}
