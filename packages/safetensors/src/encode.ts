import { HOST_IS_LITTLE_ENDIAN, SAFETENSORS_DTYPE_SIZES, swapByteOrder } from './dtypes.js';
import { float32ToBfloat16, float32ToFloat16 } from './float16.js';

/** The dtypes the writer produces. */
export type SafetensorsWriteDtype = 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'BOOL';

/**
 * Encodes a tensor's values (as `tensor.data()` returns them) as little-endian bytes of `dtype`.
 * float32 values go to F32/F16/BF16 (narrowing rounds to nearest even), int32 to I64/I32, bool to BOOL.
 */
export function encodeTensorData(
  values: Float32Array | Int32Array | Uint8Array,
  dtype: SafetensorsWriteDtype,
): Uint8Array {
  let encoded: Float32Array | Int32Array | Uint16Array | Uint8Array;
  switch (dtype) {
    case 'F16':
      encoded = float32ToFloat16(values as Float32Array);
      break;
    case 'BF16':
      encoded = float32ToBfloat16(values as Float32Array);
      break;
    case 'I64': {
      // (low, high) word pairs; high is the sign extension, so negative values stay negative.
      const words = new Int32Array(values.length * 2);
      for (let i = 0; i < values.length; i++) {
        words[2 * i] = values[i];
        words[2 * i + 1] = values[i] >> 31;
      }
      encoded = words;
      break;
    }
    default:
      encoded = values; // F32, I32 and BOOL are stored as tfjs holds them
  }
  const bytes = new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.byteLength);
  if (HOST_IS_LITTLE_ENDIAN) return bytes;
  const swapped = bytes.slice();
  swapByteOrder(swapped, dtype === 'I64' ? 4 : SAFETENSORS_DTYPE_SIZES[dtype]); // I64 was built from 4-byte words
  return swapped;
}
