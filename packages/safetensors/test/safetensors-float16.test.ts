// float32 <-> F16/BF16 bit conversions: round to nearest even at every boundary, exact widening.
import { describe, expect, it } from 'vitest';

import {
  bfloat16ToFloat32,
  float16ToFloat32,
  float32BitsToBfloat16Bits,
  float32BitsToFloat16Bits,
  float32ToBfloat16,
  float32ToFloat16,
} from '../src/float16.js';

const bitsOf = (value: number): number => new Uint32Array(new Float32Array([value]).buffer)[0];
const toHalf = (value: number): number => float32BitsToFloat16Bits(bitsOf(value));
const toBfloat = (value: number): number => float32BitsToBfloat16Bits(bitsOf(value));
const hex = (bits: number): string => `0x${bits.toString(16)}`;

describe('float32 -> F16', () => {
  it.each([
    ['1', 1, 0x3c00],
    ['-2', -2, 0xc000],
    ['max 65504', 65504, 0x7bff],
    ['65519 rounds down to 65504', 65519, 0x7bff],
    ['65520 ties to even: infinity', 65520, 0x7c00],
    ['+0', 0, 0x0000],
    ['-0', -0, 0x8000],
    ['+inf', Infinity, 0x7c00],
    ['-inf', -Infinity, 0xfc00],
    ['smallest subnormal 2^-24', 2 ** -24, 0x0001],
    ['2^-25 ties to even: 0', 2 ** -25, 0x0000],
    ['-2^-25 ties to even: -0', -(2 ** -25), 0x8000],
    ['just above 2^-25 rounds up', 2 ** -25 * (1 + 2 ** -23), 0x0001],
    ['3*2^-25 ties to even: 2*2^-24', 3 * 2 ** -25, 0x0002],
    ['largest subnormal', 1023 * 2 ** -24, 0x03ff],
    ['1023.5*2^-24 ties up into the smallest normal', 1023.5 * 2 ** -24, 0x0400],
    ['smallest normal 2^-14', 2 ** -14, 0x0400],
    ['1 + 2^-11 ties to even: 1', 1 + 2 ** -11, 0x3c00],
    ['1 + 3*2^-11 ties to even: 1 + 2^-9', 1 + 3 * 2 ** -11, 0x3c02],
    ['2049 ties to even: 2048', 2049, 0x6800],
    ['2051 ties to even: 2052', 2051, 0x6802],
    ['float32 subnormal flushes to 0', 1e-45, 0x0000],
    ['1e9 overflows to infinity', 1e9, 0x7c00],
  ])('%s', (_, value, half) => {
    expect(toHalf(value)).toBe(half);
  });

  it('keeps NaN a NaN, sign included', () => {
    for (const bits of [0x7fc00000, 0x7f800001, 0xffc00000, 0x7fbfffff]) {
      const half = float32BitsToFloat16Bits(bits);
      expect(half & 0x7c00).toBe(0x7c00);
      expect(half & 0x3ff).not.toBe(0);
      expect(half & 0x8000).toBe(bits >>> 31 ? 0x8000 : 0);
    }
  });

  it('widening then narrowing every F16 value gives it back', () => {
    const halves = new Uint16Array(65536).map((_, i) => i);
    const widened = float16ToFloat32(halves);
    const narrowed = float32ToFloat16(widened);
    for (let half = 0; half < 65536; half++) {
      const isNaN = (half & 0x7c00) === 0x7c00 && (half & 0x3ff) !== 0;
      if (isNaN) expect(Number.isNaN(widened[half])).toBe(true);
      else if (narrowed[half] !== half) expect.fail(`F16 ${hex(half)} came back as ${hex(narrowed[half])}`);
    }
  });

  it('agrees with a brute-force nearest-even search on random float32 values', () => {
    // Oracle: the finite positive F16 values in increasing order (bits 0..0x7bff are monotone in value).
    const positive = float16ToFloat32(new Uint16Array(0x7c00).map((_, i) => i));
    let seed = 12345;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let trial = 0; trial < 20000; trial++) {
      const value = Math.fround((random() - 0.5) * 2 ** (random() * 44 - 26));
      const magnitude = Math.abs(value);
      let low = 0;
      let high = positive.length - 1;
      while (high - low > 1) {
        const middle = (low + high) >> 1;
        if (positive[middle] <= magnitude) low = middle;
        else high = middle;
      }
      let expected: number;
      if (magnitude >= 65520) expected = 0x7c00;
      else if (magnitude >= 65504) expected = 0x7bff;
      else {
        const below = magnitude - positive[low];
        const above = positive[high] - magnitude;
        expected = below < above ? low : above < below ? high : low % 2 === 0 ? low : high;
      }
      if (value < 0 || Object.is(value, -0)) expected |= 0x8000;
      if (toHalf(value) !== expected) expect.fail(`${value}: got ${hex(toHalf(value))}, want ${hex(expected)}`);
    }
  });
});

describe('F16 -> float32', () => {
  it.each([
    [0x3c00, 1],
    [0x7bff, 65504],
    [0x0001, 2 ** -24],
    [0x03ff, 1023 * 2 ** -24],
    [0x8000, -0],
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
    [0xc000, -2],
  ])('0x%s', (half, value) => {
    expect(Object.is(float16ToFloat32(new Uint16Array([half]))[0], value)).toBe(true);
  });
});

describe('float32 <-> BF16', () => {
  it.each([
    ['1', 1, 0x3f80],
    ['-0', -0, 0x8000],
    ['inf', Infinity, 0x7f80],
    ['-inf', -Infinity, 0xff80],
    ['1 + 2^-8 ties to even: 1', 1 + 2 ** -8, 0x3f80],
    ['1 + 3*2^-8 ties to even: 1 + 2^-6', 1 + 3 * 2 ** -8, 0x3f82],
    ['largest float32 rounds to infinity', 3.4028234663852886e38, 0x7f80],
    ['float32 subnormal 2^-130 = 8*2^-133 stays exact', 2 ** -130, 0x0008],
  ])('%s', (_, value, bfloat) => {
    expect(toBfloat(value)).toBe(bfloat);
  });

  it('keeps NaN a NaN even when only low payload bits are set', () => {
    const bfloat = float32BitsToBfloat16Bits(0x7f800001);
    expect(bfloat & 0x7f80).toBe(0x7f80);
    expect(bfloat & 0x7f).not.toBe(0);
  });

  it('widening then narrowing every BF16 value gives it back', () => {
    const halves = new Uint16Array(65536).map((_, i) => i);
    const narrowed = float32ToBfloat16(bfloat16ToFloat32(halves));
    for (let half = 0; half < 65536; half++) {
      const isNaN = (half & 0x7f80) === 0x7f80 && (half & 0x7f) !== 0;
      if (!isNaN && narrowed[half] !== half) expect.fail(`BF16 ${hex(half)} came back as ${hex(narrowed[half])}`);
    }
  });
});
