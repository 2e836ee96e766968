import type { ParsedSafetensors } from '@edet/safetensors';
import { StateDictError } from '@edet/tensor';

import { type KeyLayout, detectKeyLayout } from './key-layouts.js';

/**
 * The bias of the class head's last layer in each key layout: `[anchors x classes]`, so its length gives
 * a file's class count without reading any tensor data.
 */
export const CLASS_HEAD_BIAS_KEYS: Readonly<Record<KeyLayout, string>> = Object.freeze({
  zylo117: 'classifier.header.pointwise_conv.conv.bias',
  rwightman: 'class_net.predict.conv_pw.bias',
});

/** Anchors per location of every EfficientDet preset (3 scales x 3 ratios). */
const DEFAULT_ANCHORS_PER_LOCATION = 9;

/** Tensors, or anything else with a shape, by name (`readSafetensors(...).tensors`, a state dict). */
export type ShapesByName = Readonly<Record<string, { readonly shape: readonly number[] }>>;

/**
 * The number of classes a checkpoint's class head predicts, read from the shape of its last layer's bias
 * (`[anchors x classes]`): what to build the model with when the file has no `classes` metadata.
 * @param weights a parsed file (`parseCheckpoint`; only its header is read) or tensors by name
 * @param layout the file's key layout; detected from the keys when not given
 * @param anchorsPerLocation the model's `config.numAnchors` (9 for every preset)
 * @returns the class count, or `undefined` when the file has no class head of a known layout or its size
 *   is not a multiple of `anchorsPerLocation`
 */
export function classCountFromWeights(
  weights: ParsedSafetensors | ShapesByName,
  layout?: KeyLayout,
  anchorsPerLocation = DEFAULT_ANCHORS_PER_LOCATION,
): number | undefined {
  const shapes = shapesOf(weights);
  const fileLayout = layout ?? detectKeyLayout([...shapes.keys()]);
  if (fileLayout === null) return undefined;
  const shape = shapes.get(CLASS_HEAD_BIAS_KEYS[fileLayout]);
  if (shape === undefined || shape.length !== 1) return undefined;
  const classes = shape[0] / anchorsPerLocation;
  return Number.isInteger(classes) && classes > 0 ? classes : undefined;
}

function shapesOf(weights: ParsedSafetensors | ShapesByName): Map<string, readonly number[]> {
  const header = (weights as Partial<ParsedSafetensors>).header;
  if (header !== undefined && Array.isArray(header.entries) && ArrayBuffer.isView((weights as ParsedSafetensors).bytes)) {
    return new Map(header.entries.map((entry) => [entry.name, entry.shape]));
  }
  return new Map(Object.entries(weights as ShapesByName).map(([name, value]) => [name, value.shape]));
}

/** A checkpoint trained for another number of classes than the model has. */
export class ClassCountMismatchError extends StateDictError {
  constructor(
    /** The weights file, as error messages name it. */
    readonly source: string,
    /** Classes of the file's class head. */
    readonly fileClasses: number,
    /** The model's `config.numClasses`. */
    readonly modelClasses: number,
    classHeadKey: string,
  ) {
    super(
      `${source}: the file has ${fileClasses} classes, the model ${modelClasses} ` +
        `(its class head '${classHeadKey}' predicts ${fileClasses} per anchor): build the model with ` +
        `numClasses ${fileClasses} (edet takes the class names from the file's "classes" metadata, or from ` +
        `--classes with ${fileClasses} names)`,
      [],
      [],
      [classHeadKey],
    );
  }
}

/**
 * Throws `ClassCountMismatchError` when a file's class head is for another number of classes than the
 * model's, so the message speaks of classes rather than of the head's tensor shapes.
 */
export function checkClassCount(
  weights: ParsedSafetensors | ShapesByName,
  layout: KeyLayout,
  model: { readonly config: { readonly numClasses: number; readonly numAnchors: number } },
  source: string,
): void {
  const fileClasses = classCountFromWeights(weights, layout, model.config.numAnchors);
  if (fileClasses !== undefined && fileClasses !== model.config.numClasses) {
    throw new ClassCountMismatchError(source, fileClasses, model.config.numClasses, CLASS_HEAD_BIAS_KEYS[layout]);
  }
}
