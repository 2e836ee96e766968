import {
  type Expr,
  type FunctionBuilder,
  type Local,
  F32,
  I32,
  V128,
  add,
  and,
  divS,
  f32,
  fadd,
  fmul,
  get,
  gt,
  loadF32,
  loadV128,
  lt,
  min,
  mul,
  select,
  splat,
  sub,
  vadd,
  vmadd,
  vmul,
} from './assembler.js';

/**
 * The loop nest shared by the SIMD convolution kernels. Every one of them walks the (output position,
 * filter tap) pairs of a 2-D NHWC convolution,
 *
 *   iy = oy * strideH + p * dilationH - padTop,   ix = ox * strideW + q * dilationW - padLeft,
 *
 * skipping taps that fall into the padding, and does some per-channel work for each pair. The loops run
 * n, oy, p, q, then a channel block, then ox innermost, so the innermost loop streams along one image row
 * with the per-(tap, channel block) value (an accumulator or a weight) held in a register.
 */

/** Geometry parameters of the kernels, in the order they are passed after the pointers. */
export const GEOMETRY_PARAMS = [
  'batch',
  'inHeight',
  'inWidth',
  'channels',
  'outHeight',
  'outWidth',
  'filterHeight',
  'filterWidth',
  'strideH',
  'strideW',
  'dilationH',
  'dilationW',
  'padTop',
  'padLeft',
] as const;

export type GeometryLocals = Record<(typeof GEOMETRY_PARAMS)[number], Local>;

/** Names the geometry parameters of `f`, which start at parameter `first`. */
export function geometryLocals(f: FunctionBuilder, first: number): GeometryLocals {
  const entries = GEOMETRY_PARAMS.map((name, i) => [name, f.args[first + i]] as const);
  return Object.fromEntries(entries) as GeometryLocals;
}

/** What the tap loops hand to the per-tap body. */
export interface TapContext {
  n: Local;
  oy: Local;
  iy: Local;
  p: Local;
  q: Local;
  /** `ix = ox * strideW + colOffset`. */
  colOffset: Local;
  /** The valid output columns of this tap: `[oxStart, oxEnd)`. */
  oxStart: Local;
  oxEnd: Local;
}

/** `ceil(a / b)` for `b > 0` and `a >= 0`. */
function ceilDivNonNeg(a: Expr | Local, b: Expr | Local): Expr {
  return divS(sub(add(a, b), 1), b);
}

/**
 * Emits `[first, end)`: the taps `t` of one filter axis (`taps` of them) whose input index
 * `base + t * dilation` lies in `[0, size)`; `scratch` is a local it may overwrite.
 */
export function validTaps(f: FunctionBuilder, base: Local, dilation: Local, size: Local, taps: Local, first: Local, end: Local, scratch: Local): void {
  f.set(first, select(ceilDivNonNeg(sub(0, base), dilation), 0, lt(base, 0)));
  f.set(scratch, sub(sub(size, 1), base));
  f.set(end, select(min(taps, add(divS(scratch, dilation), 1)), 0, gt(scratch, -1)));
}

/**
 * Emits `for n, oy, p (skipping rows in the padding), q` and calls `body` once per tap with the valid range
 * of output columns (possibly empty).
 */
export function tapLoops(f: FunctionBuilder, g: GeometryLocals, body: (t: TapContext) => void): void {
  const t: TapContext = {
    n: f.local(),
    oy: f.local(),
    iy: f.local(),
    p: f.local(),
    q: f.local(),
    colOffset: f.local(),
    oxStart: f.local(),
    oxEnd: f.local(),
  };
  const last = f.local();
  f.for(t.n, 0, g.batch, 1, () => {
    f.for(t.oy, 0, g.outHeight, 1, () => {
      f.for(t.p, 0, g.filterHeight, 1, () => {
        f.set(t.iy, sub(add(mul(t.oy, g.strideH), mul(t.p, g.dilationH)), g.padTop));
        // Rows in the padding contribute nothing.
        f.if(lt(t.iy, g.inHeight), () => {
          f.if(gt(t.iy, -1), () => {
            f.for(t.q, 0, g.filterWidth, 1, () => {
              f.set(t.colOffset, sub(mul(t.q, g.dilationW), g.padLeft));
              // First ox with ix >= 0: ceil(-colOffset / strideW) when colOffset < 0.
              f.set(t.oxStart, select(ceilDivNonNeg(sub(0, t.colOffset), g.strideW), 0, lt(t.colOffset, 0)));
              // Last ix = inWidth - 1: ox <= (inWidth - 1 - colOffset) / strideW, when that is >= 0.
              f.set(last, sub(sub(g.inWidth, 1), t.colOffset));
              f.set(t.oxEnd, select(min(g.outWidth, add(divS(last, g.strideW), 1)), 0, gt(last, -1)));
              body(t);
            });
          });
        });
      });
    });
  });
}

/**
 * Byte address of channel `c` of the first valid input pixel of a tap, `ix = oxStart * strideW + colOffset`,
 * in the input row starting at `row`.
 */
export function firstInputPixel(t: TapContext, g: GeometryLocals, row: Local, c: Local): Expr {
  return add(row, mul(add(mul(add(mul(t.oxStart, g.strideW), t.colOffset), g.channels), c), 4));
}

/** Byte address of channel `c` of output pixel `oxStart` in the output row starting at `row`. */
export function firstOutputPixel(t: TapContext, g: GeometryLocals, row: Local, c: Local): Expr {
  return add(row, mul(add(mul(t.oxStart, g.channels), c), 4));
}

/** One lane width: 4 floats at once (v128) or 1 (f32, for the channels left over). */
export interface Lanes {
  readonly width: 1 | 4;
  readonly type: typeof F32 | typeof V128;
  /** Zero in every lane. */
  readonly zero: Expr;
  /** A scalar f32 value in every lane. */
  broadcast(value: Expr | Local): Expr;
  /**
   * The lanes at byte address `addr + offset`: a constant offset goes in the load instruction itself, where
   * an `i32.add` costs the engine an address computation of its own.
   */
  load(addr: Expr | Local, offset?: number): Expr;
  store(f: FunctionBuilder, addr: Expr | Local, value: Expr | Local): void;
  add(a: Expr | Local, b: Expr | Local): Expr;
  mul(a: Expr | Local, b: Expr | Local): Expr;
  /** `a * b + c`: two roundings, except in `RELAXED_VECTOR` where the machine may fuse them into one. */
  madd(a: Expr | Local, b: Expr | Local, c: Expr | Local): Expr;
}

export const VECTOR: Lanes = {
  width: 4,
  type: V128,
  zero: splat(f32(0)),
  broadcast: (value) => splat(value),
  load: (addr, offset = 0) => loadV128(addr, offset),
  store: (f, addr, value) => void f.storeV128(addr, value),
  add: vadd,
  mul: vmul,
  madd: (a, b, c) => vadd(c, vmul(a, b)),
};

/**
 * `VECTOR` with relaxed SIMD's multiply-add: one instruction, rounded once where the machine has fused
 * multiply-add (the same way on every call on one machine). Only for modules built where it validates.
 */
export const RELAXED_VECTOR: Lanes = { ...VECTOR, madd: vmadd };

export const SCALAR: Lanes = {
  width: 1,
  type: F32,
  zero: f32(0),
  broadcast: (value) => (typeof value === 'object' ? get(value) : value),
  load: (addr, offset = 0) => loadF32(addr, offset),
  store: (f, addr, value) => void f.storeF32(addr, value),
  add: fadd,
  mul: fmul,
  madd: (a, b, c) => fadd(c, fmul(a, b)),
};

/**
 * `for c in [0, channels)` split into 4-wide blocks and a scalar tail: `body(lanes, c)` is emitted twice,
 * once per lane width, with `c` the first channel of the block.
 */
export function channelBlocks(f: FunctionBuilder, channels: Local, body: (lanes: Lanes, c: Local) => void): void {
  const c = f.local(I32);
  const vectorEnd = f.local(I32);
  f.set(vectorEnd, and(channels, ~3));
  f.for(c, 0, vectorEnd, 4, () => body(VECTOR, c));
  f.for(c, vectorEnd, channels, 1, () => body(SCALAR, c));
}

/** A pointer advanced by a fixed number of bytes per iteration of a strided loop. */
export interface Stream {
  ptr: Local;
  start: Expr | Local;
  stepBytes: Expr | Local;
}

/** `for i in [start, end)` with every stream's pointer set up front and advanced after each iteration. */
export function stridedLoop(
  f: FunctionBuilder,
  start: Expr | Local,
  end: Expr | Local,
  streams: Stream[],
  body: () => void,
): void {
  const i = f.local(I32);
  for (const s of streams) f.set(s.ptr, s.start);
  f.for(i, start, end, 1, () => {
    body();
    for (const s of streams) f.set(s.ptr, add(s.ptr, s.stepBytes));
  });
}
