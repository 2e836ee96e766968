import { SafetensorsFormatError } from './errors.js';
import { HOST_IS_LITTLE_ENDIAN, SAFETENSORS_DTYPE_SIZES, swapByteOrder } from './dtypes.js';
import { bfloat16ToFloat32, float16ToFloat32 } from './float16.js';
import type { SafetensorsEntry } from './header.js';

/** Values ready for `tf.tensor`, and the tfjs dtype they become. */
export interface DecodedTensorData {
  values: Float32Array | Int32Array | Uint8Array;
  dtype: 'float32' | 'int32' | 'bool';
}

/**
 * Converts one tensor's little-endian bytes to the tfjs representation: floats to float32 (F16 and BF16
 * exactly, F64 rounded to nearest), integers to int32 (values outside int32 are an error, since tfjs has no
 * int64), BOOL to bool.
 *
 * @param bytes the whole file; `entry` must come from `readSafetensorsHeader` on it
 * @param dataStart `SafetensorsHeader.dataStart`
 */
export function decodeTensorData(
  bytes: Uint8Array,
  dataStart: number,
  entry: SafetensorsEntry,
  source: string,
): DecodedTensorData {
  const [begin, end] = entry.dataOffsets;
  // Copying into a fresh buffer aligns the data (the file may sit at any offset, and typed-array views need
  // element alignment) and keeps the tensor from aliasing the caller's bytes (the cpu backend keeps the array).
  const raw = new Uint8Array(end - begin);
  raw.set(bytes.subarray(dataStart + begin, dataStart + end));
  if (!HOST_IS_LITTLE_ENDIAN) swapByteOrder(raw, SAFETENSORS_DTYPE_SIZES[entry.dtype]);
  const buffer = raw.buffer;
  const fail: (problem: string) => never = (problem) => {
    throw new SafetensorsFormatError(source, `tensor '${entry.name}': ${problem}`);
  };

  switch (entry.dtype) {
    case 'F32':
      return { values: new Float32Array(buffer), dtype: 'float32' };
    case 'F64': {
      const values = new Float32Array(raw.length / 8);
      values.set(new Float64Array(buffer)); // typed-array conversion rounds to nearest, ties to even
      return { values, dtype: 'float32' };
    }
    case 'F16':
      return { values: float16ToFloat32(new Uint16Array(buffer)), dtype: 'float32' };
    case 'BF16':
      return { values: bfloat16ToFloat32(new Uint16Array(buffer)), dtype: 'float32' };
    case 'I64':
    case 'U64':
      return { values: narrow64(new Int32Array(buffer), entry.dtype === 'U64', fail), dtype: 'int32' };
    case 'I32':
      return { values: new Int32Array(buffer), dtype: 'int32' };
    case 'U32': {
      const values = new Uint32Array(buffer);
      const index = values.findIndex((value) => value > 0x7fffffff);
      if (index >= 0) fail(`U32 value ${values[index]} at index ${index} does not fit in int32`);
      return { values: new Int32Array(buffer), dtype: 'int32' };
    }
    case 'I16':
    case 'U16':
    case 'I8':
    case 'U8': {
      const narrow = { I16: Int16Array, U16: Uint16Array, I8: Int8Array, U8: Uint8Array }[entry.dtype];
      const values = new Int32Array(raw.length / SAFETENSORS_DTYPE_SIZES[entry.dtype]);
      values.set(new narrow(buffer));
      return { values, dtype: 'int32' };
    }
    case 'BOOL': {
      const index = raw.findIndex((value) => value > 1);
      if (index >= 0) fail(`BOOL byte ${raw[index]} at index ${index} is neither 0 nor 1`);
      return { values: raw, dtype: 'bool' };
    }
  }
}

// Each 64-bit value is (low, high) 32-bit words. A signed one fits in int32 exactly when high is the sign
// extension of low; an unsigned one when high is 0 and low is below 2^31.
function narrow64(words: Int32Array, unsigned: boolean, fail: (problem: string) => never): Int32Array {
  const values = new Int32Array(words.length / 2);
  for (let i = 0; i < values.length; i++) {
    const low = words[2 * i];
    const high = words[2 * i + 1];
    if (unsigned ? high !== 0 || low < 0 : high !== low >> 31) {
      const value = unsigned
        ? (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0)
        : (BigInt(high) << 32n) | BigInt(low >>> 0);
      fail(
        `${unsigned ? 'U64' : 'I64'} value ${value} at index ${i} does not fit in int32 ` +
          `(tfjs has no 64-bit integers; int32 holds -2147483648..2147483647)`,
      );
    }
    values[i] = low;
  }
  return values;
}
