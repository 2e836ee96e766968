/**
 * The safetensors element types this package reads and writes, with their sizes in bytes.
 * Names and sizes follow the safetensors specification (huggingface/safetensors).
 */

/** A safetensors dtype this package can read. */
export type SafetensorsDtype =
  | 'F64'
  | 'F32'
  | 'F16'
  | 'BF16'
  | 'I64'
  | 'I32'
  | 'I16'
  | 'I8'
  | 'U64'
  | 'U32'
  | 'U16'
  | 'U8'
  | 'BOOL';

/** Bytes per element of each readable dtype. */
export const SAFETENSORS_DTYPE_SIZES: Readonly<Record<SafetensorsDtype, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
};

// Valid in the specification but without a tfjs counterpart worth converting to: named so the error can say
// "not supported" rather than "unknown".
const UNSUPPORTED_DTYPES: ReadonlySet<string> = new Set([
  'F8_E4M3',
  'F8_E5M2',
  'F8_E8M0',
  'F6_E2M3',
  'F6_E3M2',
  'F4',
  'C64',
]);

/** True if `name` is a dtype this package reads. */
export function isSafetensorsDtype(name: string): name is SafetensorsDtype {
  return Object.prototype.hasOwnProperty.call(SAFETENSORS_DTYPE_SIZES, name);
}

/** True if `name` is a safetensors dtype that this package deliberately does not read. */
export function isUnsupportedSafetensorsDtype(name: string): boolean {
  return UNSUPPORTED_DTYPES.has(name);
}

/** True on little-endian hosts (all current browsers and Node platforms); safetensors data is little-endian. */
export const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses the byte order of every `size`-byte element of `bytes` in place (big-endian hosts only). */
export function swapByteOrder(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let start = 0; start < bytes.length; start += size) {
    for (let low = start, high = start + size - 1; low < high; low++, high--) {
      const byte = bytes[low];
      bytes[low] = bytes[high];
      bytes[high] = byte;
    }
  }
}
