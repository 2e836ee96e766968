import * as tf from '@tensorflow/tfjs-core';

import { decodeTensorData } from './decode.js';
import type { ReadSafetensorsOptions } from './header.js';
import { type ParsedSafetensors, checkSafetensorsFile, isParsedSafetensors, parseSafetensors } from './parse.js';
import { checkReadOptions } from './check-arguments.js';

/** What `readSafetensors` returns. */
export interface SafetensorsContents {
  /**
   * Tensors by name, inserted in file order. (A JS object lists integer-like names such as `"0"` first;
   * `readSafetensorsHeader(bytes).entries` keeps the exact file order.)
   */
  tensors: Record<string, tf.Tensor>;
  /** The `__metadata__` map; empty if the file has none. */
  metadata: Record<string, string>;
}

/**
 * Reads a safetensors file from its bytes (works the same in Node and in browsers: no file system access).
 *
 * dtypes map to tfjs as follows: F32, F16, BF16 and F64 become float32 (F16/BF16 exactly, F64 rounded to
 * nearest even); I64, U64, I32, U32, I16, U16, I8 and U8 become int32 (a value outside int32 is an error
 * naming the tensor); BOOL becomes bool.
 *
 * Ownership: every returned tensor is new and owned by the caller, who disposes it (e.g. with
 * `tf.dispose(Object.values(result.tensors))`). The tensors never alias `bytes`. If reading fails, the
 * tensors made so far are disposed before the error is thrown.
 *
 * @param file the whole file (it may start at any offset of its `ArrayBuffer`), or the `parseSafetensors`
 *   result of it, whose header is then not parsed again
 * @param options `source` names the file in error messages (a parsed file keeps the source it was parsed with)
 * @throws SafetensorsFormatError if the file is malformed or truncated (see `readSafetensorsHeader`), or if an
 *   integer value does not fit in int32
 * @throws SafetensorsArgumentError if `file` is neither a `Uint8Array` nor a `parseSafetensors` result
 */
export function readSafetensors(
  file: Uint8Array | ParsedSafetensors,
  options: ReadSafetensorsOptions = {},
): SafetensorsContents {
  checkSafetensorsFile(file, 'file');
  checkReadOptions(options);
  const { bytes, header, source } = isParsedSafetensors(file) ? file : parseSafetensors(file, options);
  const tensors: [string, tf.Tensor][] = [];
  try {
    for (const entry of header.entries) {
      const { values, dtype } = decodeTensorData(bytes, header.dataStart, entry, source);
      tensors.push([entry.name, tf.tensor(values, entry.shape, dtype)]);
    }
  } catch (error) {
    tf.dispose(tensors.map(([, tensor]) => tensor));
    throw error;
  }
  // fromEntries defines own properties, so a tensor named "__proto__" is stored like any other.
  return { tensors: Object.fromEntries(tensors), metadata: header.metadata };
}
