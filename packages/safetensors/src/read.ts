import * as tf from '@tensorflow/tfjs-core';

import { decodeTensorData } from './decode.js';
import type { ReadSafetensorsOptions } from './header.js';
import { type ParsedSafetensors, checkSafetensorsFile, isParsedSafetensors, parseSafetensors } from './parse.js';
import { checkReadOptions } from './check-arguments.js';
import { type NonFiniteReport, countNonFinite, describeNonFinite } from './non-finite.js';
import { SafetensorsArgumentError, SafetensorsFormatError } from './errors.js';
import { describeValue } from './describe-value.js';

/** Options of `readSafetensors`. */
export interface ReadTensorsOptions extends ReadSafetensorsOptions {
  /**
   * Refuse a file with a NaN or infinite float value (F32, F16, BF16, F64), before any tensor is returned:
   * the error says how many there are and where the first is. Default false, since a file may hold any
   * numbers; model weights never should, and `@edet/model` sets it when loading them.
   */
  finiteOnly?: boolean;
}

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
 * @param options `source` names the file in error messages (a parsed file keeps the source it was parsed with);
 *   `finiteOnly` refuses NaN and infinite values
 * @throws SafetensorsFormatError if the file is malformed or truncated (see `readSafetensorsHeader`), or if an
 *   integer value does not fit in int32, or (with `finiteOnly`) if a float value is NaN or infinite
 * @throws SafetensorsArgumentError if `file` is neither a `Uint8Array` nor a `parseSafetensors` result
 */
export function readSafetensors(
  file: Uint8Array | ParsedSafetensors,
  options: ReadTensorsOptions = {},
): SafetensorsContents {
  checkSafetensorsFile(file, 'file');
  checkReadOptions(options);
  const finiteOnly = options.finiteOnly ?? false;
  if (typeof finiteOnly !== 'boolean') {
    throw new SafetensorsArgumentError('options.finiteOnly', 'true or false', describeValue(finiteOnly));
  }
  const { bytes, header, source } = isParsedSafetensors(file) ? file : parseSafetensors(file, options);
  const tensors: [string, tf.Tensor][] = [];
  let nonFinite: NonFiniteReport | undefined;
  try {
    for (const entry of header.entries) {
      const { values, dtype } = decodeTensorData(bytes, header.dataStart, entry, source);
      if (finiteOnly && dtype === 'float32') nonFinite = countNonFinite(entry.name, values as Float32Array, nonFinite);
      // Once one is found the file is refused: no more tensors are made, but the scan goes on for the count.
      if (nonFinite === undefined) tensors.push([entry.name, tf.tensor(values, entry.shape, dtype)]);
    }
    if (nonFinite !== undefined) {
      throw new SafetensorsFormatError(source, `${describeNonFinite(nonFinite)}: the values must be finite`);
    }
  } catch (error) {
    tf.dispose(tensors.map(([, tensor]) => tensor));
    throw error;
  }
  // fromEntries defines own properties, so a tensor named "__proto__" is stored like any other.
  return { tensors: Object.fromEntries(tensors), metadata: header.metadata };
}
