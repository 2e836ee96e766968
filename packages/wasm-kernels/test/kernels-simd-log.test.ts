/**
 * The SIMD `log1p` on [0, 1] of `simd-math` (what the focal-loss programs take softplus with:
 * `log1p(e^-|z|)`) on its own, against Math.log1p: a dense sweep over its whole range, denormals included,
 * and the same bits 4 wide and 1 wide. Its own test module, as for the SIMD exp.
 */
import { describe, expect, it } from 'vitest';

import type { Local } from '../src/wasm/assembler.js';
import { type LaneMath, SCALAR_MATH, VECTOR_MATH } from '../src/wasm/simd-math.js';
import { mapProgram, mapRunner } from './support/map-program.js';

/** `name(src, dst, count)` maps `count` floats through log1p (or log1p of exp), 4 wide (count a multiple of 4) or 1 wide. */
const log1p = (math: LaneMath, x: Local) => math.log1pUnit(x);
const log1pExp = (math: LaneMath, x: Local) => math.log1pUnit(math.exp(x));
const run = mapRunner(
  [
    mapProgram('log1pVector', VECTOR_MATH, log1p),
    mapProgram('log1pScalar', SCALAR_MATH, log1p),
    mapProgram('log1pExpVector', VECTOR_MATH, log1pExp),
    mapProgram('log1pExpScalar', SCALAR_MATH, log1pExp),
  ],
  64,
);

/** `values` as float32, cut to whole quads (the vector programs take no tail). */
function quads(values: number[]): Float32Array {
  return Float32Array.from(values.slice(0, values.length - (values.length % 4)));
}

/** The first index where `a` and `b` differ in their bits, or -1 (a fast `toEqual` for long float arrays). */
function firstDifference(a: Float32Array, b: Float32Array): number {
  const [x, y] = [new Uint32Array(a.buffer, a.byteOffset, a.length), new Uint32Array(b.buffer, b.byteOffset, b.length)];
  expect(x.length).toBe(y.length);
  return x.findIndex((bits, i) => bits !== y[i]);
}

const FLT_MIN = 2 ** -126;
const DENORMAL_ULP = 2 ** -149;

describe('SIMD log1p on [0, 1]', () => {
  // Every binade of [0, 1] (the denormals too) at 1/64 of its width, a fine uniform grid, and the ends.
  const points: number[] = [0, 1, 2 ** -149, 2 ** -140, FLT_MIN, 1.5 * FLT_MIN, 2 * FLT_MIN, 1e-30, 1e-10, 1e-7, 0.5, Math.fround(1 - 2 ** -24)];
  for (let k = 0; k < 149 * 64; k++) points.push(2 ** (-k / 64));
  for (let i = 0; i < 400_000; i++) points.push(i / 400_000);
  const xs = quads(points);

  it('is within 2e-7 relative of Math.log1p where the result is normal, 1 ulp in the denormals', () => {
    const got = run('log1pVector', xs);
    let worstRelative = 0;
    for (let i = 0; i < xs.length; i++) {
      const want = Math.log1p(xs[i]);
      if (want === 0) expect(got[i], `log1p(${xs[i]})`).toBe(0);
      else if (want < FLT_MIN) expect(Math.abs(got[i] - want), `log1p(${xs[i]})`).toBeLessThanOrEqual(DENORMAL_ULP);
      else worstRelative = Math.max(worstRelative, Math.abs(got[i] - want) / want);
    }
    // Measured: 1.6e-7 (the rounding of x / (2 + x) and of the final sum).
    expect(worstRelative).toBeLessThan(2e-7);
  });

  it('gives the same bits 4 wide and 1 wide, and NaN for NaN', () => {
    expect(firstDifference(run('log1pScalar', xs), run('log1pVector', xs))).toBe(-1);
    const special = new Float32Array([NaN, 0, -0, 1]);
    for (const name of ['log1pVector', 'log1pScalar']) {
      const got = Array.from(run(name, special));
      expect(Number.isNaN(got[0]), name).toBe(true);
      expect(got.slice(1), name).toEqual([0, -0, Math.fround(Math.LN2)]);
    }
  });

  it('makes softplus(-a) = log1p(exp(-a)) within 3e-7 relative where normal, 2 ulp in the denormals, 0 beyond', () => {
    // As the focal loss uses it: the float32 exp's error (7e-8; 1 ulp in the denormals) passes through at
    // most 1:1, and adds to log1p's own.
    const margins: number[] = [];
    for (let a = 0; a <= 110; a += 1 / 512) margins.push(-a);
    margins.push(-120, -1e4, -Infinity, -Infinity, -Infinity);
    const negatives = quads(margins);
    const got = run('log1pExpVector', negatives);
    expect(firstDifference(run('log1pExpScalar', negatives), got)).toBe(-1);
    let [worstRelative, worstDenormal] = [0, 0];
    for (let i = 0; i < negatives.length; i++) {
      const want = Math.log1p(Math.exp(negatives[i]));
      if (negatives[i] < -104) expect(got[i], `softplus(${negatives[i]})`).toBe(0);
      else if (want < FLT_MIN) worstDenormal = Math.max(worstDenormal, Math.abs(got[i] - want));
      else worstRelative = Math.max(worstRelative, Math.abs(got[i] - want) / want);
    }
    // Measured: 1.8e-7.
    expect(worstRelative).toBeLessThan(3e-7);
    expect(worstDenormal).toBeLessThanOrEqual(2 * DENORMAL_ULP);
  });
});
