import {
  type Expr,
  type FunctionBuilder,
  type Local,
  type ValType,
  I32,
  V128,
  add,
  f32,
  f32ReinterpretI32,
  fdiv,
  flt,
  fmax,
  fmin,
  fneg,
  fsqrt,
  fsub,
  get,
  i32ReinterpretF32,
  i32x4Add,
  i32x4Shl,
  i32x4ShrS,
  i32x4Sub,
  select,
  shl,
  shrS,
  sub,
  vbitselect,
  vconst,
  vdiv,
  vlt,
  vneg,
  vpmax,
  vpmin,
  vsqrt,
  vsub,
} from './assembler.js';
import { type Lanes, RELAXED_VECTOR, SCALAR, VECTOR } from './conv-loops.js';

/**
 * Float math for the SIMD programs, written once over a lane width (`MathLanes`: 4 floats in a v128, or
 * one f32 for the elements left over), so the vector loop and its scalar tail compute bit-identical
 * results: `exp`, `sigmoid`, the swish derivative and `log1p` on [0, 1].
 */

/** `Lanes` plus what the math below needs: more float ops, and integer lanes of the same width. */
export interface MathLanes extends Lanes {
  /** The type of an integer value of this width (v128 holds i32x4; the scalar width uses i32). */
  readonly intType: ValType;
  /** A float constant in every lane. */
  constant(value: number): Expr;
  sub(a: Expr | Local, b: Expr | Local): Expr;
  div(a: Expr | Local, b: Expr | Local): Expr;
  /** `a` clamped to `[low, high]`; a NaN in `a` stays NaN. */
  clamp(a: Expr | Local, low: Expr | Local, high: Expr | Local): Expr;
  neg(a: Expr | Local): Expr;
  sqrt(a: Expr | Local): Expr;
  /** The smaller / larger of `a` and `b`; a NaN in `a` gives NaN (one in `b` gives NaN or `a`, by width). */
  min(a: Expr | Local, b: Expr | Local): Expr;
  max(a: Expr | Local, b: Expr | Local): Expr;
  /** `a < b` as a lane mask (all ones / zero in a v128; 1 / 0 in an i32), of type `intType`. False for NaN. */
  less(a: Expr | Local, b: Expr | Local): Expr;
  /** `mask ? a : b` lane-wise, `mask` from `less`. */
  select(a: Expr | Local, b: Expr | Local, mask: Expr | Local): Expr;
  /** The bits of float lanes as integer lanes, and back. */
  bits(a: Expr | Local): Expr;
  fromBits(a: Expr | Local): Expr;
  intAdd(a: Expr | Local, b: Expr | Local): Expr;
  intSub(a: Expr | Local, b: Expr | Local): Expr;
  shiftLeft(a: Expr | Local, count: number): Expr;
  /** Arithmetic (sign-filling) shift right. */
  shiftRight(a: Expr | Local, count: number): Expr;
}

function asIs(a: Expr | Local): Expr {
  return typeof a === 'object' ? get(a) : a;
}

export const VECTOR_MATH: MathLanes = {
  ...VECTOR,
  intType: V128,
  constant: vconst,
  sub: vsub,
  div: vdiv,
  // pmin / pmax are one instruction each on x86 (min / max are several, for NaN and -0 rules); with the
  // value first they return it when it is NaN.
  clamp: (a, low, high) => vpmin(vpmax(a, low), high),
  neg: vneg,
  sqrt: vsqrt,
  // pmin / pmax: see clamp.
  min: vpmin,
  max: vpmax,
  less: vlt,
  select: vbitselect,
  // A v128 is untyped: integer lanes are the float bits as they stand.
  bits: asIs,
  fromBits: asIs,
  intAdd: i32x4Add,
  intSub: i32x4Sub,
  shiftLeft: i32x4Shl,
  shiftRight: i32x4ShrS,
};

/** `VECTOR_MATH` whose `madd` is relaxed SIMD's (the rest of the math is the same instructions). */
export const RELAXED_VECTOR_MATH: MathLanes = { ...VECTOR_MATH, madd: RELAXED_VECTOR.madd };

export const SCALAR_MATH: MathLanes = {
  ...SCALAR,
  intType: I32,
  constant: f32,
  sub: fsub,
  div: fdiv,
  clamp: (a, low, high) => fmin(fmax(a, low), high),
  neg: fneg,
  sqrt: fsqrt,
  min: fmin,
  max: fmax,
  less: flt,
  select,
  bits: i32ReinterpretF32,
  fromBits: f32ReinterpretI32,
  intAdd: add,
  intSub: sub,
  shiftLeft: shl,
  shiftRight: shrS,
};

// Cody-Waite split of ln 2: LN2_HI has 9 significant bits, so n * LN2_HI is exact for |n| < 2^15.
const LOG2E = 1.4426950408889634;
const LN2_HI = 0.693359375;
const LN2_LO = -2.12194440e-4;
// Minimax polynomial for (e^r - 1 - r) / r^2 on [-ln2/2, ln2/2] (Cephes expf).
const EXP_POLY = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
// Degree-5 polynomial for 2^f on [-1/2, 1/2], highest degree first, fitted (minimax in the relative error)
// for sigmoid, whose value moves by at most a quarter of e^-x's relative error: 7.5e-8 relative.
const EXP2_POLY = [1.3276454992592335e-3, 9.675536304712296e-3, 5.550713092088699e-2, 2.4022120237350464e-1, 6.931469440460205e-1, 1.0000001192092896];
// e^x is +Infinity in float32 above ~88.72 and 0 below ~-103.97: clamping to a range a little wider keeps
// 2^n (|n| <= 174) in the two-factor form below and still gives Infinity / 0 at the ends. NaN stays NaN.
const EXP_CLAMP = 120;
// 1.5 * 2^23: adding it to |v| < 2^22 rounds v to an integer (ties to even) held in the low mantissa bits.
const ROUNDER = 12582912;
// The rounder plus the float32 exponent bias, 127: the sum's low bits are then round(v) + 127.
const BIASED_ROUNDER = ROUNDER + 127;
// The range sigmoid clamps its e^-x argument to: 2^n stays one factor, normal or +Infinity.
const SIGMOID_EXP_LOW = -87;
const SIGMOID_EXP_HIGH = 89;
// log1p(x) = 2 atanh(s) with s = x / (2 + x), so s^2 <= 1/9 for x in [0, 1]; 2 atanh(s) = 2s + 2s s^2 Q(s^2)
// with Q(t) = (atanh(sqrt t) / sqrt t - 1) / t = 1/3 + t/5 + ... fitted (minimax in the relative error of
// log1p) on [0, 1/9]: 5e-9, far below float32's rounding. Highest degree first.
const LOG1P_POLY = [0.140122294, 0.139995709, 0.200108498, 0.333332062];

/**
 * The math above for one lane width, with its constants in locals: `new LaneMath(f, m)` emits their set-up
 * where it is called, so call it before a loop, not in it: the loop then reads locals instead of building
 * each of its `v128.const`s where it is used, on every iteration.
 *
 * Every call of `exp`, `sigmoid`, ... uses fresh temporaries, so results of several calls can be combined.
 */
export class LaneMath {
  private readonly constants = new Map<number, Local>();

  constructor(
    private readonly f: FunctionBuilder,
    readonly m: MathLanes,
  ) {
    for (const value of [-EXP_CLAMP, EXP_CLAMP, LOG2E, LN2_HI, LN2_LO, ROUNDER, ...EXP_POLY, 1, 2, ...LOG1P_POLY, -SIGMOID_EXP_HIGH, -SIGMOID_EXP_LOW, -LOG2E, BIASED_ROUNDER, ...EXP2_POLY]) {
      this.constant(value);
    }
  }

  /** A float constant in every lane (a local set up by the constructor, or a new one set up here). */
  constant(value: number): Local {
    let local = this.constants.get(value);
    if (local === undefined) {
      local = this.f.local(this.m.type);
      this.f.set(local, this.m.constant(value));
      this.constants.set(value, local);
    }
    return local;
  }

  /**
   * Emits `e^x` into new locals and returns it: relative error below 1e-7 where the result is a normal
   * float32 (7e-8 measured), denormals within one unit below, 0 below ~-103.9, +Infinity above ~88.72,
   * NaN for NaN.
   *
   * `x = n ln2 + r` with `n = round(x / ln2)` and `|r| <= ln2 / 2`; `e^r` from a degree-7 polynomial; `2^n`
   * from exponent bits. `n` comes from the 1.5 * 2^23 rounding trick, which leaves it both as a float and
   * as the low bits of the sum's integer lanes (no conversion instruction). `2^n` is applied as two
   * factors `2^(n >> 1) * 2^(n - (n >> 1))`, each a normal float, so denormal results and the overflow to
   * Infinity come out of the final multiply, rounded once, instead of wrapping the exponent field.
   */
  exp(x: Expr | Local): Expr {
    const { f, m } = this;
    const k = (value: number) => this.constant(value);
    const xc = f.local(m.type);
    const shifted = f.local(m.type);
    const n = f.local(m.type);
    const r = f.local(m.type);
    const p = f.local(m.type);
    const ni = f.local(m.intType);
    const half = f.local(m.intType);
    f.set(xc, m.clamp(x, k(-EXP_CLAMP), k(EXP_CLAMP)));
    f.set(shifted, m.add(m.mul(xc, k(LOG2E)), k(ROUNDER)));
    f.set(n, m.sub(shifted, k(ROUNDER)));
    f.set(r, m.sub(m.sub(xc, m.mul(n, k(LN2_HI))), m.mul(n, k(LN2_LO))));
    // Horner: p = ((((c0 r + c1) r + c2) r + c3) r + c4) r + c5, then e^r = p r^2 + r + 1.
    let poly: Expr = get(k(EXP_POLY[0]));
    for (const c of EXP_POLY.slice(1)) poly = m.add(m.mul(poly, r), k(c));
    f.set(p, m.add(m.add(m.mul(poly, m.mul(r, r)), r), k(1)));
    // The sum's bits minus the rounder's are n; 1.0's bits are 127 << 23, the exponent bias in place.
    f.set(ni, m.intSub(m.bits(shifted), m.bits(k(ROUNDER))));
    f.set(half, m.shiftRight(ni, 1));
    const pow2 = (e: Expr | Local) => m.fromBits(m.intAdd(m.shiftLeft(e, 23), m.bits(k(1))));
    return m.mul(m.mul(p, pow2(half)), pow2(m.intSub(ni, half)));
  }

  /**
   * Emits `1 + e^-x` into a new local, for sigmoid and swish: `e^-x = 2^t` with `t = -x log2(e)`, split into
   * `n = round(t)` and `f = t - n` (exact), `2^f` from a degree-5 polynomial and `2^n` from exponent bits.
   * Rounding `t` (and log2(e)) costs `e^-x` a relative error of up to `|x| * 7.5e-8`, which moves sigmoid
   * by at most `sigmoid(x) (1 - sigmoid(x)) |x| * 7.5e-8 < 1.7e-8`; `exp` avoids it with a two-part `ln 2` (three more
   * operations per value), which sigmoid does not need.
   *
   * `x` is clamped to [-89, 87] first, so that `2^n` is one factor built from the rounding sum's bits (the
   * rounder carries the exponent bias): n is at least -126, a normal float, and at most 128, whose bits are
   * +Infinity. Below -87, e^-x no longer changes 1 + e^-x (sigmoid is 1, as with the exact value); from
   * -88.4 on, e^-x is above 2^127.5 and taken as +Infinity (sigmoid 0, where the exact value is below
   * 6e-39). NaN stays NaN.
   */
  private onePlusExpNeg(x: Expr | Local): Local {
    const { f, m } = this;
    const k = (value: number) => this.constant(value);
    const t = f.local(m.type);
    const shifted = f.local(m.type);
    const fraction = f.local(m.type);
    const out = f.local(m.type);
    f.set(t, m.mul(m.clamp(x, k(-SIGMOID_EXP_HIGH), k(-SIGMOID_EXP_LOW)), k(-LOG2E)));
    f.set(shifted, m.add(t, k(BIASED_ROUNDER)));
    f.set(fraction, m.sub(t, m.sub(shifted, k(BIASED_ROUNDER))));
    let pow2Fraction: Expr = get(k(EXP2_POLY[0]));
    for (const c of EXP2_POLY.slice(1)) pow2Fraction = m.add(m.mul(pow2Fraction, fraction), k(c));
    // (n + 127) << 23 is 2^n's bits: the rounder's own bits shift out past bit 31.
    f.set(out, m.add(k(1), m.mul(pow2Fraction, m.fromBits(m.shiftLeft(m.bits(shifted), 23)))));
    return out;
  }

  /**
   * Emits `sigmoid(x) = 1 / (1 + e^-x)` and returns it in a new local: within 2e-7 of the exact value
   * (1.1e-7 measured), `3e-7 + 8e-8 |x|` relative where that is a normal float; in [0, 1] for every
   * non-NaN input, NaN for NaN. `e^-x` as `onePlusExpNeg` computes it: 0 from x = -88.4 down.
   */
  sigmoid(x: Expr | Local): Local {
    const out = this.f.local(this.m.type);
    this.f.set(out, this.m.div(this.constant(1), this.onePlusExpNeg(x)));
    return out;
  }

  /**
   * Emits `log1p(x)` for `x` in [0, 1] (e.g. `softplus(z) = max(z, 0) + log1p(e^-|z|)`) and returns it:
   * within 1.7e-7 relative of the exact value for every float32 x there (denormals and 0 included), NaN
   * for NaN; other x are out of its range (the polynomial is fitted for s^2 <= 1/9).
   *
   * `log1p(x) = 2 atanh(s)` with `s = x / (2 + x)`: no cancellation at small x (unlike `log(1 + x)`, where
   * `1 + x` rounds x away), and the series in `s^2` has positive terms, so its float32 evaluation is
   * well-conditioned. The error is that of s (two roundings) and of the final sum.
   */
  log1pUnit(x: Expr | Local): Expr {
    const { f, m } = this;
    const k = (value: number) => this.constant(value);
    const xl = f.local(m.type);
    const s = f.local(m.type);
    const twoS = f.local(m.type);
    const t = f.local(m.type);
    f.set(xl, x);
    f.set(s, m.div(xl, m.add(k(2), xl)));
    f.set(twoS, m.add(s, s));
    f.set(t, m.mul(s, s));
    let poly: Expr = get(k(LOG1P_POLY[0]));
    for (const c of LOG1P_POLY.slice(1)) poly = m.add(m.mul(poly, t), k(c));
    return m.add(twoS, m.mul(twoS, m.mul(t, poly)));
  }

  /**
   * Returns `swish(z) = z * sigmoid(z)`, computed as `z / (1 + e^-z)` (one rounding instead of two); `z`
   * is read twice, so pass a local.
   */
  swish(z: Local): Expr {
    return this.m.div(z, this.onePlusExpNeg(z));
  }

  /** Returns `d/dz swish(z) = sigmoid(z) * (1 + z * (1 - sigmoid(z)))`; `z` is read twice, so pass a local. */
  swishDerivative(z: Local): Expr {
    const { m } = this;
    const sig = this.sigmoid(z);
    const one = this.constant(1);
    return m.mul(sig, m.add(one, m.mul(z, m.sub(one, sig))));
  }
}
