import { type ParsedSafetensors, SafetensorsArgumentError, checkSafetensorsFile } from '@edet/safetensors';
import { FileFormatError, InvalidArgumentError, checkOptionsObject, describeValue } from '@edet/tensor';

import { EfficientDet } from './efficientdet.js';
import { type ModelManifest, checkModelManifest } from './model-manifest.js';

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
 *   (`ClassCountMismatchError` when only the class count differs from the manifest's labels)
 * @throws InvalidArgumentError for a manifest that `checkModelManifest` refuses, or weights that are not
 *   bytes or a parsed file, before the model is built
 */
export function createModelFromManifest(
  manifest: ModelManifest,
  weights: Uint8Array | ParsedSafetensors,
  options: { source?: string } = {},
): EfficientDet {
  try {
    checkModelManifest(manifest, 'manifest');
  } catch (error) {
    if (error instanceof FileFormatError) {
      const isObject = manifest !== null && typeof manifest === 'object' && !Array.isArray(manifest);
      const received = isObject ? `one where ${error.problem}` : describeValue(manifest);
      throw new InvalidArgumentError('manifest', 'a model manifest (see checkModelManifest)', received);
    }
    throw error;
  }
  try {
    checkSafetensorsFile(weights, 'weights');
  } catch (error) {
    if (error instanceof SafetensorsArgumentError) throw new InvalidArgumentError(error.argument, error.expected, error.received);
    throw error;
  }
  const { source } = checkOptionsObject(options);
  if (source !== undefined && typeof source !== 'string') {
    throw new InvalidArgumentError('options.source', 'a string naming the weights', describeValue(source));
  }
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
