/**
 * Bit-exact conversions between float32 and the two 16-bit float formats safetensors uses:
 * IEEE 754 binary16 (`F16`) and bfloat16 (`BF16`). Narrowing rounds to nearest, ties to even, like a
 * hardware cast (and like PyTorch's `.half()` / `.bfloat16()`); widening is exact.
 */

let float16Table: Uint32Array | undefined;

// All 65,536 binary16 values widened once (256 KiB): a table lookup is far faster than bit fiddling per element.
function float16ToFloat32Table(): Uint32Array {
  if (float16Table) return float16Table;
  const table = new Uint32Array(65536);
  const asFloat = new Float32Array(table.buffer);
  for (let half = 0; half < 65536; half++) {
    const sign = (half & 0x8000) << 16;
    const exponent = (half >>> 10) & 0x1f;
    const mantissa = half & 0x3ff;
    if (exponent === 0) {
      // Zero or subnormal: mantissa * 2^-24 is exact in float32.
      asFloat[half] = (sign ? -1 : 1) * mantissa * 2 ** -24;
    } else if (exponent === 0x1f) {
      // Infinity or NaN; the NaN payload is kept.
      table[half] = sign | 0x7f800000 | (mantissa << 13);
    } else {
      table[half] = sign | ((exponent + 112) << 23) | (mantissa << 13);
    }
  }
  float16Table = table;
  return table;
}

/** Narrows one float32, given as its bit pattern, to binary16 bits (round to nearest even). */
export function float32BitsToFloat16Bits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) {
    // Infinity stays infinity; NaN stays a (quiet) NaN with the top payload bits.
    return mantissa === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mantissa >>> 13);
  }
  const halfExponent = exponent - 112; // rebias from 127 to 15
  if (halfExponent >= 0x1f) return sign | 0x7c00; // beyond 65504 after any rounding: infinity
  if (halfExponent <= 0) {
    // Subnormal result (or zero). Below 2^-25 everything rounds to zero, including the tie at 2^-25 itself.
    if (halfExponent < -10) return sign;
    const significand = mantissa | 0x800000;
    const shift = 14 - halfExponent; // 14..24
    const halfway = 1 << (shift - 1);
    const odd = (significand >>> shift) & 1;
    // A carry into bit 10 turns the largest subnormal into the smallest normal, which is the right encoding.
    return sign | ((significand + halfway - 1 + odd) >>> shift);
  }
  const half = sign | (halfExponent << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // Round to nearest even; a carry out of the mantissa bumps the exponent (and 65520+ becomes infinity).
  return rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1) ? half + 1 : half;
}

/** Narrows one float32, given as its bit pattern, to bfloat16 bits (round to nearest even). */
export function float32BitsToBfloat16Bits(bits: number): number {
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0) {
    // NaN: truncate and force the quiet bit so the payload cannot collapse into infinity.
    return ((bits >>> 16) | 0x40) & 0xffff;
  }
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Narrows float32 values to binary16 bits. */
export function float32ToFloat16(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < bits.length; i++) out[i] = float32BitsToFloat16Bits(bits[i]);
  return out;
}

/** Narrows float32 values to bfloat16 bits. */
export function float32ToBfloat16(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < bits.length; i++) out[i] = float32BitsToBfloat16Bits(bits[i]);
  return out;
}

/** Widens binary16 bits to float32 (exact). */
export function float16ToFloat32(halves: Uint16Array): Float32Array {
  const table = float16ToFloat32Table();
  const out = new Uint32Array(halves.length);
  for (let i = 0; i < halves.length; i++) out[i] = table[halves[i]];
  return new Float32Array(out.buffer);
}

/** Widens bfloat16 bits to float32 (exact: bfloat16 is the top half of a float32). */
export function bfloat16ToFloat32(halves: Uint16Array): Float32Array {
  const out = new Uint32Array(halves.length);
  for (let i = 0; i < halves.length; i++) out[i] = halves[i] << 16;
  return new Float32Array(out.buffer);
}
