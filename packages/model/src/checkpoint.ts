import * as tf from '@tensorflow/tfjs-core';
import {
  type ParsedSafetensors,
  SafetensorsArgumentError,
  SafetensorsFormatError,
  checkSafetensorsFile,
  isParsedSafetensors,
  parseSafetensors,
  readSafetensors,
  writeSafetensors,
} from '@edet/safetensors';
import {
  FileFormatError,
  InvalidArgumentError,
  Module,
  type PoolPadding,
  type StateDict,
  checkOptionalBoolean,
  checkOptionalChoice,
  checkOptionsObject,
  describeValue,
} from '@edet/tensor';

import { POOL_PADDING_METADATA_KEY, checkpointPoolPadding, followsCheckpointNumerics } from './checkpoint-numerics.js';
import { type KeyLayout, detectKeyLayout, keyLayouts } from './key-layouts.js';
import { checkClassCount } from './class-count.js';
import { checkCheckpointMetadata } from './checkpoint-metadata.js';

const KEY_LAYOUTS: readonly KeyLayout[] = ['zylo117', 'rwightman'];

/** Options of `loadCheckpoint`. */
export interface LoadCheckpointOptions {
  /** Name of the file, for error messages (a `ParsedSafetensors` brings its own). */
  source?: string;
  /** Key layout of the file; by default detected from its keys. */
  layout?: KeyLayout;
  /**
   * Load weights holding NaN or infinite values. Default false: such a file is refused with a
   * `FileFormatError` saying how many values there are and where the first is, since a model with them
   * detects nothing. No trained checkpoint should hold them (training stops at a non-finite loss).
   */
  allowNonFinite?: boolean;
}

/** Options of `saveCheckpoint`. */
export interface SaveCheckpointOptions {
  /** Key layout to write (default `zylo117`, the official layout). */
  layout?: KeyLayout;
  /** Float precision on disk (default F32; F16 halves the size). */
  dtype?: 'F32' | 'F16' | 'BF16';
  /** Extra string metadata for the header. */
  metadata?: Record<string, string>;
}

/** What `loadCheckpoint` found and did. */
export interface LoadedCheckpoint {
  /** The file's key layout. */
  layout: KeyLayout;
  /**
   * The max-pool padding the file's weights expect: its `poolPadding` metadata, else its layout's (`zero`
   * for zylo117, `neg-inf` for rwightman). An `EfficientDet` takes it unless its config set `poolPadding`.
   */
  poolPadding: PoolPadding;
}

/**
 * Loads a safetensors checkpoint into `model`. The key layout (official zylo117 or rwightman `tf_*`) is
 * detected unless given, and an `EfficientDet` takes the max-pool padding its weights were trained with
 * (see `LoadedCheckpoint.poolPadding`) unless its config fixed one. Throws `FileFormatError` for a corrupt
 * file (NaN or infinite weights included, unless `allowNonFinite`, and metadata `trained`, `synthetic` or
 * `classes` that `checkCheckpointMetadata` refuses), `ClassCountMismatchError` (a `StateDictError`) for
 * weights trained on another number of classes than the model's, and `StateDictError` for missing,
 * unexpected or mis-shaped keys; in every case the model is left exactly as it was.
 *
 * `file` is the file's bytes, or the `parseSafetensors` result of them when the caller has looked at the
 * header already (its metadata, say): the header is then not parsed again.
 * The caller keeps `file`; every tensor made while loading is freed before returning.
 * @throws InvalidArgumentError for a `model`, `file` or option of the wrong kind
 */
export function loadCheckpoint(
  model: Module,
  file: Uint8Array | ParsedSafetensors,
  options: LoadCheckpointOptions = {},
): LoadedCheckpoint {
  if (!(model instanceof Module)) throw new InvalidArgumentError('model', 'an EfficientDet (or another Module)', describeValue(model));
  asModelError(() => checkSafetensorsFile(file, 'file'));
  const record = checkOptionsObject(options);
  checkOptionalChoice(record.layout, 'options.layout', KEY_LAYOUTS);
  checkOptionalBoolean(record.allowNonFinite, 'options.allowNonFinite');
  if (record.source !== undefined && typeof record.source !== 'string') {
    throw new InvalidArgumentError('options.source', 'a string naming the file', describeValue(record.source));
  }
  const source = isParsedSafetensors(file) ? file.source : (options.source ?? 'checkpoint');
  const parsed = isParsedSafetensors(file) ? file : asModelError(() => parseSafetensors(file, { source }));
  const layout = options.layout ?? detectKeyLayout(parsed.header.entries.map((entry) => entry.name));
  if (layout === null) {
    throw new FileFormatError(source, 'its keys match no known EfficientDet layout (zylo117 `bifpn.*`, rwightman `fpn.*`)');
  }
  // From the header alone, before any tensor: the metadata fields edet reads, then the class count (said
  // in classes, not in the class head's shapes).
  checkCheckpointMetadata(parsed);
  if (hasClassConfig(model)) checkClassCount(parsed, layout, model, source);
  const poolPadding = checkpointPoolPadding(layout, parsed.header.metadata, source);
  const { tensors } = asModelError(() => readSafetensors(parsed, { finiteOnly: !(options.allowNonFinite ?? false) }));
  let state: StateDict | undefined;
  try {
    state = keyLayouts[layout].fromFile(tensors, model);
    model.loadStateDict(state);
    if (followsCheckpointNumerics(model)) model.followCheckpointPoolPadding(poolPadding);
    return { layout, poolPadding };
  } finally {
    tf.dispose(Object.values(tensors));
    if (state) tf.dispose(Object.values(state).filter((t) => !Object.values(tensors).includes(t)));
  }
}

function hasClassConfig(model: Module): model is Module & { config: { numClasses: number; numAnchors: number } } {
  const config = (model as { config?: { numClasses?: unknown; numAnchors?: unknown } }).config;
  return typeof config?.numClasses === 'number' && typeof config.numAnchors === 'number';
}

/**
 * Reads a checkpoint file's header once (validated, no tensors made, nothing to dispose), so that a
 * program can look at its metadata (`parsed.header.metadata`: class names, `trained`) and then load it with
 * `loadCheckpoint` / `model.loadSafetensors` without parsing it again.
 * @param options `source` names the file in error messages (default `'checkpoint'`)
 * @throws FileFormatError naming the file when it is truncated or malformed
 * @throws InvalidArgumentError when `bytes` is not a `Uint8Array` or `options.source` not a string
 */
export function parseCheckpoint(bytes: Uint8Array, options: { source?: string } = {}): ParsedSafetensors {
  const source = (checkOptionsObject(options).source as string | undefined) ?? 'checkpoint';
  return asModelError(() => parseSafetensors(bytes, { source }));
}

// The model's contract is FileFormatError for any unreadable weights file, whoever parsed it, and
// InvalidArgumentError for an argument of the wrong kind.
function asModelError<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof SafetensorsFormatError) throw new FileFormatError(error.file, error.problem);
    if (error instanceof SafetensorsArgumentError) throw new InvalidArgumentError(error.argument, error.expected, error.received);
    throw error;
  }
}

/**
 * Serialises every parameter and buffer of `model` to safetensors bytes, keys in the model's (official)
 * order. A load-then-save round trip in F32 reproduces every tensor exactly.
 * @throws InvalidArgumentError for a `model` or option of the wrong kind, before any tensor is made
 * An `EfficientDet` records its max-pool padding in the metadata (`poolPadding`), so the file loads with
 * the same numerics in either layout.
 */
export async function saveCheckpoint(model: Module, options: SaveCheckpointOptions = {}): Promise<Uint8Array> {
  if (!(model instanceof Module)) throw new InvalidArgumentError('model', 'an EfficientDet (or another Module)', describeValue(model));
  const record = checkOptionsObject(options);
  checkOptionalChoice(record.layout, 'options.layout', KEY_LAYOUTS);
  checkOptionalChoice(record.dtype, 'options.dtype', ['F32', 'F16', 'BF16']);
  if (record.metadata !== undefined) {
    const metadata = record.metadata;
    const strings = metadata !== null && typeof metadata === 'object' && !Array.isArray(metadata) && Object.values(metadata).every((value) => typeof value === 'string');
    if (!strings) throw new InvalidArgumentError('options.metadata', 'an object of strings', describeValue(metadata));
  }
  const layout = options.layout ?? 'zylo117';
  const state = model.stateDict();
  const fileState = keyLayouts[layout].toFile(state, model);
  try {
    return await writeSafetensors(fileState, {
      dtype: options.dtype ?? 'F32',
      metadata: {
        format: 'pt',
        layout,
        ...(followsCheckpointNumerics(model) ? { [POOL_PADDING_METADATA_KEY]: model.poolPadding } : {}),
        ...options.metadata,
      },
    });
  } finally {
    tf.dispose(Object.values(state));
    tf.dispose(Object.values(fileState).filter((t) => !Object.values(state).includes(t)));
  }
}
