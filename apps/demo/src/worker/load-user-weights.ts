import {
  COCO90_LABELS,
  EfficientDet,
  type EfficientDetConfig,
  checkpointGeometry,
  detectKeyLayout,
  inputShape,
  isMarkedUntrained,
  parseCheckpoint,
  presetConfig,
  rwightmanKeyMap,
} from '@edet/model';
import type { ParsedSafetensors } from '@edet/safetensors';

/** The bias of the class head's last layer (zylo117 key): its length is anchors x classes. */
const CLASS_BIAS_KEY = 'classifier.header.pointwise_conv.conv.bias';

/** A user's weights, loaded: the model to use from now on and its labels. */
export interface UserWeights {
  /** `current`, or a new model when the file has another number of classes. */
  model: EfficientDet;
  labels: string[];
  /** False when the file says of itself that it is not trained (its metadata). */
  trained: boolean;
}

/**
 * The class count of a checkpoint's class head, or `undefined` when the file has no recognisable head
 * (then loading it reports what is wrong).
 */
function fileClassCount(model: EfficientDet, file: ParsedSafetensors): number | undefined {
  const { entries } = file.header;
  const layout = detectKeyLayout(entries.map((entry) => entry.name));
  const key = layout === 'rwightman' ? rwightmanKeyMap(model).pairs.find((pair) => pair.model === CLASS_BIAS_KEY)?.file : CLASS_BIAS_KEY;
  const outputs = entries.find((entry) => entry.name === key)?.shape[0];
  const classes = outputs === undefined ? undefined : outputs / model.config.numAnchors;
  return classes !== undefined && Number.isInteger(classes) && classes > 0 ? classes : undefined;
}

/** The names in the file's `classes` metadata when they are a list of `classes` strings. */
function metadataLabels(file: ParsedSafetensors, classes: number): string[] | undefined {
  const text = file.header.metadata.classes;
  if (text === undefined) return undefined;
  try {
    const names = JSON.parse(text) as unknown;
    const valid = Array.isArray(names) && names.length === classes && names.every((n) => typeof n === 'string');
    return valid ? (names as string[]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The configuration the file's weights need, or `undefined` when `current` fits them. A file that names
 * its model (metadata `model`, as `edet train` and `saveSafetensors` of a named model write it) gets that
 * preset, at the input size it records (else the preset's); any other file keeps the variant in use.
 */
function configFor(current: EfficientDet, file: ParsedSafetensors, classes: number, name: string): EfficientDetConfig | undefined {
  const { model: preset, inputSize } = checkpointGeometry(file.header.metadata, name);
  if (preset === undefined) return classes === current.config.numClasses ? undefined : { ...current.config, numClasses: classes };
  const sameSize = inputSize === undefined || inputShape(inputSize).join('x') === inputShape(current.config.inputSize).join('x');
  if (preset === current.config.model && classes === current.config.numClasses && sameSize) return undefined;
  return presetConfig(preset, { numClasses: classes, inputSize });
}

/**
 * Loads a user's safetensors file (zylo117 or rwightman keys). If it fits the model in use, it loads into
 * `current`. A file whose metadata names its model (`model`, e.g. `tf_efficientdet_lite0`) loads into a new
 * model of that preset, at the input size the file records; otherwise, when only the class count differs,
 * into a new model of the same variant with the file's count, so a 90-class COCO checkpoint and a 3-class
 * BCCD one both load whichever model is showing. Labels come from the file's `classes` metadata. Without
 * it, COCO's names are used for 90 classes, `currentLabels` for the same count, and `class <id>` otherwise.
 *
 * The file is read once: its header is parsed and validated once, and the model loads from that parse.
 *
 * Atomic: on any error (corrupt file, missing key, wrong shape) `current` keeps its weights and nothing
 * new is left allocated. When a new model is returned, the caller disposes `current`.
 * @throws FileFormatError / StateDictError naming `name` (a malformed `model` metadata entry included)
 */
export function loadUserWeights(current: EfficientDet, currentLabels: readonly string[], bytes: Uint8Array, name: string): UserWeights {
  const file = parseCheckpoint(bytes, { source: name });
  const classes = fileClassCount(current, file) ?? current.config.numClasses;
  const fallback = classes === current.config.numClasses ? currentLabels : classes === COCO90_LABELS.length ? COCO90_LABELS : [];
  const labels = metadataLabels(file, classes) ?? Array.from({ length: classes }, (_, id) => fallback[id] || `class ${id}`);
  const trained = !isMarkedUntrained(file.header.metadata);
  const config = configFor(current, file, classes, name);
  if (config === undefined) {
    current.loadSafetensors(file);
    return { model: current, labels, trained };
  }
  const model = new EfficientDet(config);
  try {
    model.loadSafetensors(file);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return { model, labels, trained };
}
