import * as tf from '@tensorflow/tfjs-core';
import {
  type ParsedSafetensors,
  SafetensorsFormatError,
  isParsedSafetensors,
  parseSafetensors,
  readSafetensors,
  writeSafetensors,
} from '@edet/safetensors';
import { FileFormatError, type Module, type PoolPadding, type StateDict } from '@edet/tensor';

import { POOL_PADDING_METADATA_KEY, checkpointPoolPadding, followsCheckpointNumerics } from './checkpoint-numerics.js';
import { type KeyLayout, detectKeyLayout, keyLayouts } from './key-layouts.js';

/** Options of `loadCheckpoint`. */
export interface LoadCheckpointOptions {
  /** Name of the file, for error messages (a `ParsedSafetensors` brings its own). */
  source?: string;
  /** Key layout of the file; by default detected from its keys. */
  layout?: KeyLayout;
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
 * file and `StateDictError` for missing, unexpected or mis-shaped keys; in either case the model is left
 * exactly as it was.
 *
 * `file` is the file's bytes, or the `parseSafetensors` result of them when the caller has looked at the
 * header already (its metadata, say): the header is then not parsed again.
 * The caller keeps `file`; every tensor made while loading is freed before returning.
 */
export function loadCheckpoint(
  model: Module,
  file: Uint8Array | ParsedSafetensors,
  options: LoadCheckpointOptions = {},
): LoadedCheckpoint {
  const source = isParsedSafetensors(file) ? file.source : (options.source ?? 'checkpoint');
  const { tensors, metadata } = asFileFormatError(() => readSafetensors(file, { source }));
  let state: StateDict | undefined;
  try {
    const layout = options.layout ?? detectKeyLayout(Object.keys(tensors));
    if (layout === null) {
      throw new FileFormatError(source, 'its keys match no known EfficientDet layout (zylo117 `bifpn.*`, rwightman `fpn.*`)');
    }
    const poolPadding = checkpointPoolPadding(layout, metadata, source);
    state = keyLayouts[layout].fromFile(tensors, model);
    model.loadStateDict(state);
    if (followsCheckpointNumerics(model)) model.followCheckpointPoolPadding(poolPadding);
    return { layout, poolPadding };
  } finally {
    tf.dispose(Object.values(tensors));
    if (state) tf.dispose(Object.values(state).filter((t) => !Object.values(tensors).includes(t)));
  }
}

/**
 * Reads a checkpoint file's header once (validated, no tensors made, nothing to dispose), so that a
 * program can look at its metadata (`parsed.header.metadata`: class names, `trained`) and then load it with
 * `loadCheckpoint` / `model.loadSafetensors` without parsing it again.
 * @param options `source` names the file in error messages (default `'checkpoint'`)
 * @throws FileFormatError naming the file when it is truncated or malformed
 */
export function parseCheckpoint(bytes: Uint8Array, options: { source?: string } = {}): ParsedSafetensors {
  return asFileFormatError(() => parseSafetensors(bytes, { source: options.source ?? 'checkpoint' }));
}

// The model's contract is FileFormatError for any unreadable weights file, whoever parsed it.
function asFileFormatError<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof SafetensorsFormatError) throw new FileFormatError(error.file, error.problem);
    throw error;
  }
}

/**
 * Serialises every parameter and buffer of `model` to safetensors bytes, keys in the model's (official)
 * order. A load-then-save round trip in F32 reproduces every tensor exactly. An `EfficientDet` records its
 * max-pool padding in the metadata (`poolPadding`), so the file loads with the same numerics in either layout.
 */
export async function saveCheckpoint(model: Module, options: SaveCheckpointOptions = {}): Promise<Uint8Array> {
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
