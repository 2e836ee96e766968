import { COCO90_LABELS, EfficientDet, createModelFromManifest, isMarkedUntrained, modelScopeNotice, parseCheckpoint } from '@edet/model';
import { FileFormatError } from '@edet/tensor';

import { UNTRAINED_MODEL, UNTRAINED_PRESET } from '../config.js';
import type { ModelInfo } from '../protocol.js';
import { fetchManifest } from './model-manifest.js';

/** A model ready to run and what the page shows about it. The caller disposes `model`. */
export interface LoadedModel {
  model: EfficientDet;
  info: ModelInfo;
  /** Something the user should read (e.g. why the bundled weights were not used). */
  notice?: string;
}

/** The model's description for the page. */
export function describeModel(model: EfficientDet, name: string, trained: boolean, labels: readonly string[], standIn = false): ModelInfo {
  const { compoundCoef, numClasses, inputSize, model: preset } = model.config;
  return { name, trained, standIn, ...(preset === undefined ? {} : { model: preset }), compoundCoef, numClasses, inputSize, labels: [...labels] };
}

/** The seeded stand-in: same weights on every backend and in Node (`new EfficientDet(UNTRAINED_MODEL)`). */
export function untrainedModel(notice?: string): LoadedModel {
  const model = new EfficientDet({ ...UNTRAINED_MODEL });
  const name = `untrained D${UNTRAINED_MODEL.compoundCoef} (seed ${UNTRAINED_MODEL.seed})`;
  return { model, info: describeModel(model, name, false, COCO90_LABELS, true), notice };
}

/**
 * A model picked by its published name (`PRESET_NAMES`), untrained: `EfficientDet.fromPreset(name,
 * UNTRAINED_PRESET)`, the same seeded weights on every backend and in Node, at the preset's input size.
 * @throws InvalidArgumentError naming `name` when it is not a published name
 */
export function untrainedPreset(name: string): LoadedModel {
  const model = EfficientDet.fromPreset(name, { ...UNTRAINED_PRESET });
  return { model, info: describeModel(model, `untrained ${name} (seed ${UNTRAINED_PRESET.seed})`, false, COCO90_LABELS, true) };
}

/**
 * The bundled model's name when its manifest is deployed and valid, else `undefined` (no error: the page
 * then offers no bundled model).
 */
export async function bundledModelName(manifestUrl: string): Promise<string | undefined> {
  try {
    return (await fetchManifest(manifestUrl))?.name;
  } catch {
    return undefined;
  }
}

/**
 * The bundled model: the weights named by the manifest at `manifestUrl` when it exists, else the untrained
 * stand-in. A manifest or weights file that is present but broken does not stop the demo: it falls back to
 * the stand-in and says why in `notice`.
 */
export async function loadBundledModel(manifestUrl: string): Promise<LoadedModel> {
  let manifest;
  try {
    manifest = await fetchManifest(manifestUrl);
  } catch (error) {
    return untrainedModel(`the bundled model could not be used: ${messageOf(error)}`);
  }
  if (manifest === null) return untrainedModel();

  const weightsUrl = new URL(manifest.weights, manifestUrl).href;
  let model: EfficientDet | undefined;
  try {
    const response = await fetch(weightsUrl);
    if (!response.ok) throw new FileFormatError(weightsUrl, `HTTP ${response.status}`);
    // Parsed once: the metadata and the tensors come from the same parse.
    const weights = parseCheckpoint(new Uint8Array(await response.arrayBuffer()), { source: manifest.weights });
    model = createModelFromManifest(manifest, weights);
    const trained = (manifest.trained ?? true) && !isMarkedUntrained(weights.header.metadata);
    const info = describeModel(model, manifest.name, trained, manifest.labels);
    return { model, info: trained ? { ...info, scope: modelScopeNotice(manifest) } : info };
  } catch (error) {
    model?.dispose();
    return untrainedModel(`the bundled model could not be used: ${messageOf(error)}`);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
