import { type Expr, type Local, FunctionBuilder, I32, add, and, divS, eq, gt, loadSplat, min, mul, select, sub } from './assembler.js';
import { GEOMETRY_PARAMS, geometryLocals, validTaps } from './conv-loops.js';
import { ActivationEpilogue, type FusedActivation, type MultiplyAdd, convProgramName } from './activation-epilogue.js';
import type { LaneMath } from './simd-math.js';

/**
 * The forward convolution (NHWC, float32, filter `[kh, kw, in, out]`) computed directly, for few input
 * channels (the stem), with its epilogue fused: `y[n, oy, ox, o] = act(sum_{p, q, i} x[n, iy, ix, i] *
 * w[p, q, i, o] + bias[o])`, taps in the padding skipped.
 *
 * `convForward_<act>(x, w, bias, y, ...geometry, outChannels, rowStart, rowCount)`: byte pointers (`bias`
 * 0 for none), the geometry (`GEOMETRY_PARAMS`, `channels` the input channels), the output channels, then
 * the output rows to compute (numbered over the batch), so a thread can take any run of them. Output
 * channels go 32 at a time (eight v128 accumulators, each input value broadcast once for all of them), then
 * 4, then one by one. Where every tap of 4 adjacent outputs lies inside the input (dilation 1), those 4
 * outputs go 8 channels at a time instead: per tap two loads of weights and four broadcasts feed 8
 * multiply-adds, as in the 1x1 kernel, where the 32-wide block loads a weight vector per multiply-add.
 * Each output sums its products in (p, q, i) order from 0, then adds the bias, on every path.
 */

/** Output pixels of a row the interior path computes at once. */
const PIXELS = 4;

/** `ceil(a / b)` for `a >= 0`, `b > 0`. */
function ceilDiv(a: Expr | Local, b: Expr | Local): Expr {
  return divS(sub(add(a, b), 1), b);
}

export function directConvProgram(activation: FusedActivation, multiplyAdd: MultiplyAdd = 'separate'): FunctionBuilder {
  const f = new FunctionBuilder(convProgramName('convForward', multiplyAdd, activation), [I32, I32, I32, I32, ...GEOMETRY_PARAMS.map(() => I32), I32, I32, I32]);
  const [x, w, bias, y] = f.args;
  const g = geometryLocals(f, 4);
  const [outChannels, rowStart, rowCount] = f.args.slice(4 + GEOMETRY_PARAMS.length);
  const locals = (count: number) => Array.from({ length: count }, () => f.local());
  const [row, rowEnd, n, oy, ox, iyBase, ixBase, lastIndex, p0, p1, q0, q1, p, q] = locals(14);
  const [inBytes, outBytes, tapBytes, yPixel, o, end32, end4, xp, wp, products, t] = locals(11);
  const [end8, interiorStart, interiorEnd, groupsEnd, rest, group, rowBytes] = locals(7);
  const xs = locals(PIXELS);

  const epilogue = new ActivationEpilogue(f, activation, multiplyAdd);
  const { vector, scalar } = epilogue;

  /** The products of taps `q ..< q + count` of filter row `p` (consecutive pixels of the input row). */
  const taps = (math: LaneMath, acc: Local[], value: Local, q: Local, count: Expr | number) => {
    const { m } = math;
    const laneBytes = m.width * 4;
    const iy = add(iyBase, mul(p, g.dilationH));
    const ix = add(ixBase, mul(q, g.dilationW));
    f.set(xp, add(x, mul(add(mul(add(mul(n, g.inHeight), iy), g.inWidth), ix), inBytes)));
    f.set(wp, add(w, add(mul(add(mul(p, g.filterWidth), q), tapBytes), mul(o, 4))));
    f.set(products, mul(count, g.channels));
    f.for(t, 0, products, 1, () => {
      f.set(value, m.width === 4 ? loadSplat(xp) : m.load(xp));
      acc.forEach((a, v) => f.set(a, m.madd(value, m.load(wp, v * laneBytes), a)));
      f.set(xp, add(xp, 4));
      f.set(wp, add(wp, outBytes));
    });
  };

  const block = (math: LaneMath, vectors: number) => {
    const { m } = math;
    const laneBytes = m.width * 4;
    const acc = Array.from({ length: vectors }, () => f.local(m.type));
    const value = f.local(m.type);
    for (const a of acc) f.set(a, m.zero);
    f.for(p, p0, p1, 1, () => {
      f.if(
        gt(g.dilationW, 1),
        () => f.for(q, q0, q1, 1, () => taps(math, acc, value, q, 1)),
        // Dilation 1: a row's valid taps are adjacent pixels, so their inputs and weights are two runs.
        () => taps(math, acc, value, q0, sub(q1, q0)),
      );
    });
    f.if(bias, () => {
      acc.forEach((a, v) => f.set(a, m.add(a, m.load(add(add(bias, mul(o, 4)), v * laneBytes)))));
    });
    acc.forEach((a, v) => m.store(f, add(add(yPixel, mul(o, 4)), v * laneBytes), epilogue.apply(math, a)));
  };

  /**
   * Outputs `ox ..< ox + PIXELS` of the current row by channels `o ..< o + 8`, every tap inside the input:
   * for each filter row, its `filterWidth * channels` taps are consecutive values of the input row.
   */
  const interiorBlock = () => {
    const { m } = vector;
    const acc = Array.from({ length: PIXELS }, () => [f.local(m.type), f.local(m.type)]);
    const weights = [f.local(m.type), f.local(m.type)];
    const value = f.local(m.type);
    for (const pair of acc) for (const a of pair) f.set(a, m.zero);
    f.set(wp, add(w, mul(o, 4)));
    f.set(products, mul(g.filterWidth, g.channels));
    f.for(p, 0, g.filterHeight, 1, () => {
      xs.forEach((xr, r) => {
        const ix = sub(mul(add(ox, r), g.strideW), g.padLeft);
        f.set(xr, add(x, mul(add(mul(add(mul(n, g.inHeight), add(iyBase, p)), g.inWidth), ix), inBytes)));
      });
      f.for(t, 0, products, 1, () => {
        weights.forEach((weight, v) => f.set(weight, m.load(wp, v * 16)));
        xs.forEach((xr, r) => {
          f.set(value, loadSplat(xr));
          acc[r].forEach((a, v) => f.set(a, m.madd(value, weights[v], a)));
          f.set(xr, add(xr, 4));
        });
        f.set(wp, add(wp, outBytes));
      });
    });
    f.if(bias, () => {
      weights.forEach((b, v) => f.set(b, m.load(add(add(bias, mul(o, 4)), v * 16))));
      for (const pair of acc) pair.forEach((a, v) => f.set(a, m.add(a, weights[v])));
    });
    acc.forEach((pair, r) =>
      pair.forEach((a, v) => m.store(f, add(add(yPixel, add(mul(r, outBytes), mul(o, 4))), v * 16), epilogue.apply(vector, a))),
    );
  };

  /** Output pixels `[from, to)` of the current row, each with its own valid taps, channels from `oFrom` (0 or end8). */
  const pixels = (from: Expr | Local, to: Expr | Local, fromEnd8: boolean) => {
    f.for(ox, from, to, 1, () => {
      f.set(ixBase, sub(mul(ox, g.strideW), g.padLeft));
      validTaps(f, ixBase, g.dilationW, g.inWidth, g.filterWidth, q0, q1, lastIndex);
      f.set(yPixel, add(y, mul(add(mul(row, g.outWidth), ox), outBytes)));
      if (!fromEnd8) f.for(o, 0, end32, 32, () => block(vector, 8));
      f.for(o, fromEnd8 ? end8 : end32, end4, 4, () => block(vector, 1));
      f.for(o, end4, outChannels, 1, () => block(scalar, 1));
    });
  };

  f.set(inBytes, mul(g.channels, 4));
  f.set(outBytes, mul(outChannels, 4));
  f.set(tapBytes, mul(g.channels, outBytes));
  f.set(end32, and(outChannels, ~31));
  f.set(end8, and(outChannels, ~7));
  f.set(end4, and(outChannels, ~3));
  f.set(rowEnd, add(rowStart, rowCount));
  f.set(rowBytes, mul(g.outWidth, outBytes));
  // The outputs of a row whose taps all lie inside it (dilation 1): ox * strideW - padLeft >= 0 and
  // ox * strideW - padLeft + filterWidth - 1 < inWidth; whole groups of PIXELS from the first.
  f.set(interiorStart, min(g.outWidth, ceilDiv(g.padLeft, g.strideW)));
  f.set(lastIndex, add(sub(g.inWidth, g.filterWidth), g.padLeft));
  f.set(interiorEnd, select(min(g.outWidth, add(divS(lastIndex, g.strideW), 1)), 0, gt(lastIndex, -1)));
  f.set(groupsEnd, add(interiorStart, and(select(sub(interiorEnd, interiorStart), 0, gt(interiorEnd, interiorStart)), ~(PIXELS - 1))));
  f.set(groupsEnd, select(groupsEnd, interiorStart, and(eq(g.dilationW, 1), eq(g.dilationH, 1))));
  f.for(row, rowStart, rowEnd, 1, () => {
    f.set(n, divS(row, g.outHeight));
    f.set(oy, sub(row, mul(n, g.outHeight)));
    // The filter rows that land inside the input: iy = iyBase + p * dilationH in [0, inHeight).
    f.set(iyBase, sub(mul(oy, g.strideH), g.padTop));
    validTaps(f, iyBase, g.dilationH, g.inHeight, g.filterHeight, p0, p1, lastIndex);
    f.set(rest, 0);
    f.if(and(eq(p0, 0), eq(p1, g.filterHeight)), () => {
      pixels(0, interiorStart, false);
      f.for(group, interiorStart, groupsEnd, PIXELS, () => {
        f.set(ox, group);
        f.set(yPixel, add(y, add(mul(row, rowBytes), mul(ox, outBytes))));
        f.for(o, 0, end8, 8, () => interiorBlock());
        // Channels past the last 8: pixel by pixel, as elsewhere.
        pixels(group, add(group, PIXELS), true);
      });
      f.set(rest, select(groupsEnd, interiorStart, gt(groupsEnd, interiorStart)));
    });
    pixels(rest, g.outWidth, false);
  });
  return f;
}
