import * as tf from '@tensorflow/tfjs-core';
import { type EfficientDet, type KeyLayout, checkpointPoolPadding, detectKeyLayout, keyLayouts, rwightmanKeyMap } from '@edet/model';
import { SafetensorsFormatError, readSafetensors } from '@edet/safetensors';
import { FileFormatError, type StateDict } from '@edet/tensor';

/** The class head's prediction layer: the only part whose shape depends on the number of classes. */
export const CLASS_LAYER_PREFIX = 'classifier.header.pointwise_conv.';

/** What `loadInitialWeights` did. */
export interface InitialWeights {
  layout: KeyLayout;
  /** Classes of the file's class head, when it differs from the model's (its last layer was not loaded). */
  fileClasses?: number;
}

/** The file keys of the model keys under `CLASS_LAYER_PREFIX`, in the file's layout. */
function classLayerFileKeys(model: EfficientDet, layout: KeyLayout): Map<string, string> {
  const modelKeys = model
    .namedEntries()
    .map((entry) => entry.name)
    .filter((name) => name.startsWith(CLASS_LAYER_PREFIX));
  if (layout === 'zylo117') return new Map(modelKeys.map((key) => [key, key]));
  const pairs = rwightmanKeyMap(model).pairs.filter((pair) => pair.model.startsWith(CLASS_LAYER_PREFIX));
  return new Map(pairs.map((pair) => [pair.model, pair.file]));
}

/**
 * Loads the bytes of a safetensors checkpoint (zylo117 or rwightman keys; `source` names it in errors) as the
 * starting point of training. When only
 * the class head's last layer differs in shape (a checkpoint trained on another number of classes, such as
 * the 90 COCO ones), every other weight is loaded and that layer keeps the model's fresh initialisation
 * (the prior bias, so the head starts predicting ~1%), and `fileClasses` says so. Any other mismatch fails
 * as `loadSafetensors` does, leaving the model unchanged. The model takes the file's max-pool padding as
 * `loadSafetensors` does (unless its config fixed one), so training goes on with the weights' numerics.
 * Frees every tensor it reads.
 * @throws FileFormatError / StateDictError
 */
export function loadInitialWeights(model: EfficientDet, bytes: Uint8Array, source: string): InitialWeights {
  const { tensors, metadata } = readInitialTensors(bytes, source);
  const made: tf.Tensor[] = [];
  try {
    const layout = detectKeyLayout(Object.keys(tensors));
    if (layout === null) throw new FileFormatError(source, 'its keys match no known EfficientDet layout (zylo117 `bifpn.*`, rwightman `fpn.*`)');
    const poolPadding = checkpointPoolPadding(layout, metadata, source);
    const adapter = keyLayouts[layout];
    const classKeys = classLayerFileKeys(model, layout);
    const fresh: StateDict = {};
    const modelState = model.stateDict();
    made.push(...Object.values(modelState));
    const fileState = adapter.toFile(modelState, model);
    made.push(...Object.values(fileState).filter((t) => !made.includes(t)));
    const differing = [...classKeys.values()].filter((key) => tensors[key] !== undefined && fileState[key] !== undefined && !tf.util.arraysEqual(tensors[key].shape, fileState[key].shape));
    let fileClasses: number | undefined;
    if (differing.length > 0) {
      const weightKey = [...classKeys.values()].find((key) => key.endsWith('bias')) ?? differing[0];
      const outputs = tensors[weightKey]?.shape[0] ?? 0;
      fileClasses = outputs / model.config.numAnchors;
      for (const key of classKeys.values()) if (fileState[key] !== undefined) fresh[key] = fileState[key];
    }
    const merged = { ...tensors, ...fresh };
    const state = adapter.fromFile(merged, model);
    made.push(...Object.values(state).filter((t) => !made.includes(t) && !Object.values(tensors).includes(t)));
    model.loadStateDict(state);
    model.followCheckpointPoolPadding(poolPadding);
    return fileClasses === undefined ? { layout } : { layout, fileClasses };
  } finally {
    tf.dispose(Object.values(tensors));
    tf.dispose(made);
  }
}

/** The notice for a class-count change: `note: w.safetensors has a 90-class head; this dataset has 3 classes: ...`. */
export function classChangeNotice(file: string, fileClasses: number, classes: number): string {
  const count = Number.isInteger(fileClasses) ? `a ${fileClasses}-class head` : 'a class head of another size';
  return (
    `note: ${file} has ${count} and this dataset ${classes} class${classes === 1 ? '' : 'es'}: loaded every weight except ` +
    `the class head's last layer (${CLASS_LAYER_PREFIX}*), which starts fresh`
  );
}

/**
 * The file's tensors, as `loadSafetensors` reads them: a damaged file, or NaN or infinite weights (which
 * would train to NaN at once), is a FileFormatError naming the file.
 */
function readInitialTensors(bytes: Uint8Array, source: string): ReturnType<typeof readSafetensors> {
  try {
    return readSafetensors(bytes, { source, finiteOnly: true });
  } catch (error) {
    if (error instanceof SafetensorsFormatError) throw new FileFormatError(error.file, error.problem);
    throw error;
  }
}
