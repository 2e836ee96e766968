import type { ParsedSafetensors } from '@edet/safetensors';

import { EfficientDet } from './efficientdet.js';
import type { ModelManifest } from './model-manifest.js';

/**
 * Builds the EfficientDet a manifest describes (variant or model name, class count, input size, max-pool
 * padding) and loads its weights:
 * how the CLI, the demo and a user's script turn a model folder (or the `@edet/bccd-d0` package) into a
 * detector.
 * @param manifest a checked manifest (`checkModelManifest`)
 * @param weights the weights file's bytes, or their `parseSafetensors` result (the header is not parsed again)
 * @param options `source` names the weights in error messages (default: `manifest.weights`)
 * @returns a new model the caller disposes; when loading fails, nothing is left allocated
 * @throws FileFormatError for a broken weights file, StateDictError for weights of another architecture
 */
export function createModelFromManifest(
  manifest: ModelManifest,
  weights: Uint8Array | ParsedSafetensors,
  options: { source?: string } = {},
): EfficientDet {
  const settings = { numClasses: manifest.labels.length, inputSize: manifest.inputSize, poolPadding: manifest.poolPadding };
  const model =
    manifest.model === undefined
      ? new EfficientDet({ compoundCoef: manifest.compoundCoef, ...settings })
      : EfficientDet.fromPreset(manifest.model, settings);
  try {
    model.loadSafetensors(weights, { source: options.source ?? manifest.weights });
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}
