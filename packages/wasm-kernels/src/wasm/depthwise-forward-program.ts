import { type Expr, type Local, FunctionBuilder, I32, add, and, divS, eq, gt, min, mul, select, sub } from './assembler.js';
import { GEOMETRY_PARAMS, geometryLocals, validTaps } from './conv-loops.js';
import { ActivationEpilogue, type FusedActivation, type MultiplyAdd, convProgramName } from './activation-epilogue.js';
import type { LaneMath } from './simd-math.js';

/**
 * The forward depthwise convolution (channel multiplier 1, NHWC, float32) with its epilogue fused:
 * `y[n, oy, ox, c] = act(sum_{p, q} x[n, iy, ix, c] * w[p, q, c] + bias[c])`, taps in the padding skipped.
 *
 * `depthwiseForward_<act>(x, w, bias, y, ...geometry, rowStart, rowCount)`: byte pointers (`bias` 0 for
 * none), the geometry (`GEOMETRY_PARAMS`), then the output rows to compute: rows are numbered over the batch
 * (`n * outHeight + oy`), so a thread can take any run of them and its outputs are whole. Each output is
 * summed over its taps in (p, q) order from 0, then the bias is added, as tfjs's cpu kernels do; channels go
 * 16 at a time (four v128 accumulators), then 4, then one by one, with the same math at every width.
 */

/** Output pixels the interior fast path computes at once, along a row. */
const PIXELS = 4;

/** The filters with an interior fast path: `[size, column stride]`, square, dilation 1. */
const FAST_FILTERS: readonly (readonly [number, number])[] = [
  [3, 1],
  [3, 2],
  [5, 1],
  [5, 2],
];

/** `ceil(a / b)` for `a >= 0`, `b > 0`. */
function ceilDiv(a: Expr | Local, b: Expr | Local): Expr {
  return divS(sub(add(a, b), 1), b);
}

export function depthwiseForwardProgram(activation: FusedActivation, multiplyAdd: MultiplyAdd = 'separate'): FunctionBuilder {
  const f = new FunctionBuilder(convProgramName('depthwiseForward', multiplyAdd, activation), [I32, I32, I32, I32, ...GEOMETRY_PARAMS.map(() => I32), I32, I32]);
  const [x, w, bias, y] = f.args;
  const g = geometryLocals(f, 4);
  const rowStart = f.args[4 + GEOMETRY_PARAMS.length];
  const rowCount = f.args[5 + GEOMETRY_PARAMS.length];
  const locals = (count: number) => Array.from({ length: count }, () => f.local());
  const [row, rowEnd, n, oy, ox, iyBase, ixBase, lastIndex, p0, p1, q0, q1] = locals(12);
  const [pixelBytes, xTapRowStep, xTapColStep, wTapRowStep, xPixel, yPixel, c, end16, end4, p, q, xp, wp, xq, wq] = locals(15);
  const [fast, interiorStart, interiorEnd, groupsEnd, yRow, rest, group, xRow, iyFirst] = locals(9);

  const epilogue = new ActivationEpilogue(f, activation, multiplyAdd);
  const { vector, scalar } = epilogue;

  /** One block of `vectors` accumulators (4 lanes each, or one scalar lane when `math` is scalar). */
  const block = (math: LaneMath, vectors: number) => {
    const { m } = math;
    const width = m.width * 4;
    const acc = Array.from({ length: vectors }, () => f.local(m.type));
    for (const a of acc) f.set(a, m.zero);
    f.set(xp, add(xPixel, mul(c, 4)));
    f.set(wp, add(w, mul(add(mul(add(mul(p0, g.filterWidth), q0), g.channels), c), 4)));
    f.for(p, p0, p1, 1, () => {
      f.set(xq, xp);
      f.set(wq, wp);
      f.for(q, q0, q1, 1, () => {
        acc.forEach((a, j) => f.set(a, m.madd(m.load(xq, j * width), m.load(wq, j * width), a)));
        f.set(xq, add(xq, xTapColStep));
        f.set(wq, add(wq, pixelBytes));
      });
      f.set(xp, add(xp, xTapRowStep));
      f.set(wp, add(wp, wTapRowStep));
    });
    f.if(bias, () => {
      acc.forEach((a, j) => f.set(a, m.add(a, m.load(add(add(bias, mul(c, 4)), j * width)))));
    });
    acc.forEach((a, j) => {
      const out = add(add(yPixel, mul(c, 4)), j * width);
      m.store(f, out, epilogue.apply(math, a));
    });
  };

  /**
   * The interior fast path: `PIXELS` adjacent outputs of one row by 4 channels whose tap columns all lie
   * inside the input, for a `size` x `size` filter at column stride `stride` (dilation 1), over the tap rows
   * `[p0, p1)` inside it (every row but near the top and bottom edges; `xPixel` is at row p0). Per row of
   * taps it loads the row's `size` weights once and each input column once, and feeds every output that
   * column reaches, so an input value is loaded once instead of once per tap. Each output still sums its
   * valid taps in (p, q) order, as `block` does, so the results are the same bits.
   */
  const fastBlock = (size: number, stride: number) => {
    const { m } = vector;
    const acc = Array.from({ length: PIXELS }, () => f.local(m.type));
    const weights = Array.from({ length: size }, () => f.local(m.type));
    const column = f.local(m.type);
    for (const a of acc) f.set(a, m.zero);
    f.set(xRow, add(xPixel, mul(c, 4)));
    f.set(wp, add(add(w, mul(p0, wTapRowStep)), mul(c, 4)));
    const columns = (PIXELS - 1) * stride + size;
    // The rows of taps are a wasm loop, not unrolled: V8's optimising compiler places every load of a
    // straight run of code first, so an unrolled filter held all its weights and columns at once and
    // spilled most of them to the stack (a third of the loop's time); one row's fit in registers.
    f.for(p, p0, p1, 1, () => {
      weights.forEach((weight) => {
        f.set(weight, m.load(wp));
        f.set(wp, add(wp, pixelBytes));
      });
      f.set(xq, xRow);
      for (let t = 0; t < columns; t++) {
        f.set(column, m.load(xq));
        acc.forEach((a, i) => {
          const q = t - i * stride;
          if (q >= 0 && q < size) f.set(a, m.madd(column, weights[q], a));
        });
        if (t < columns - 1) f.set(xq, add(xq, pixelBytes));
      }
      f.set(xRow, add(xRow, xTapRowStep));
    });
    f.if(bias, () => {
      f.set(column, m.load(add(bias, mul(c, 4))));
      for (const a of acc) f.set(a, m.add(a, column));
    });
    acc.forEach((a, i) => m.store(f, add(add(yPixel, mul(c, 4)), mul(pixelBytes, i)), epilogue.apply(vector, a)));
  };

  /** Output pixels `[from, outWidth)` of the current row, each with its own valid taps (`block`). */
  const pixels = (from: Expr | Local, to: Expr | Local) => {
    f.for(ox, from, to, 1, () => {
      f.set(ixBase, sub(mul(ox, g.strideW), g.padLeft));
      validTaps(f, ixBase, g.dilationW, g.inWidth, g.filterWidth, q0, q1, lastIndex);
      // The first valid tap's input pixel (only read when some tap is valid).
      f.set(
        xPixel,
        add(x, mul(add(mul(add(mul(n, g.inHeight), add(iyBase, mul(p0, g.dilationH))), g.inWidth), add(ixBase, mul(q0, g.dilationW))), pixelBytes)),
      );
      f.set(yPixel, add(yRow, mul(ox, pixelBytes)));
      f.for(c, 0, end16, 16, () => block(vector, 4));
      f.for(c, end16, end4, 4, () => block(vector, 1));
      f.for(c, end4, g.channels, 1, () => block(scalar, 1));
    });
  };

  f.set(pixelBytes, mul(g.channels, 4));
  f.set(xTapColStep, mul(g.dilationW, pixelBytes));
  f.set(xTapRowStep, mul(mul(g.dilationH, g.inWidth), pixelBytes));
  f.set(wTapRowStep, mul(g.filterWidth, pixelBytes));
  f.set(end16, and(g.channels, ~15));
  f.set(end4, and(g.channels, ~3));
  f.set(rowEnd, add(rowStart, rowCount));
  // Which fast path the filter has (an index into FAST_FILTERS, plus 1), or 0.
  f.set(fast, 0);
  FAST_FILTERS.forEach(([size, stride], index) => {
    const matches = [eq(g.filterHeight, size), eq(g.filterWidth, size), eq(g.strideW, stride), eq(g.dilationH, 1), eq(g.dilationW, 1)];
    f.if(matches.reduce((all, one) => and(all, one)), () => f.set(fast, index + 1));
  });
  // The outputs of a row whose taps all lie inside it: ox * strideW - padLeft >= 0 and
  // ox * strideW - padLeft + filterWidth - 1 < inWidth; whole groups of PIXELS from the first.
  f.set(interiorStart, min(g.outWidth, ceilDiv(g.padLeft, g.strideW)));
  f.set(lastIndex, add(sub(g.inWidth, g.filterWidth), g.padLeft));
  f.set(interiorEnd, select(min(g.outWidth, add(divS(lastIndex, g.strideW), 1)), 0, gt(lastIndex, -1)));
  f.set(groupsEnd, add(interiorStart, and(select(sub(interiorEnd, interiorStart), 0, gt(interiorEnd, interiorStart)), ~(PIXELS - 1))));
  f.for(row, rowStart, rowEnd, 1, () => {
    f.set(n, divS(row, g.outHeight));
    f.set(oy, sub(row, mul(n, g.outHeight)));
    // The filter rows that land inside the input: iy = iyBase + p * dilationH in [0, inHeight).
    f.set(iyBase, sub(mul(oy, g.strideH), g.padTop));
    validTaps(f, iyBase, g.dilationH, g.inHeight, g.filterHeight, p0, p1, lastIndex);
    f.set(yRow, add(y, mul(mul(row, g.outWidth), pixelBytes)));
    f.set(rest, 0);
    // The first valid tap row (dilation 1 on the fast path): where the interior outputs' taps start.
    f.set(iyFirst, add(iyBase, p0));
    f.if(gt(fast, 0), () => {
      pixels(0, interiorStart);
      f.set(q0, 0);
      f.set(q1, g.filterWidth);
      f.for(ox, interiorStart, groupsEnd, PIXELS, () => {
        f.set(xPixel, add(x, mul(add(mul(add(mul(n, g.inHeight), iyFirst), g.inWidth), sub(mul(ox, g.strideW), g.padLeft)), pixelBytes)));
        f.set(yPixel, add(yRow, mul(ox, pixelBytes)));
        FAST_FILTERS.forEach(([size, stride], index) => {
          f.if(eq(fast, index + 1), () => f.for(c, 0, end4, 4, () => fastBlock(size, stride)));
        });
        // Channels past the last 4: one by one, pixel by pixel.
        f.set(group, ox);
        f.for(ox, group, add(group, PIXELS), 1, () => {
          f.set(xPixel, add(x, mul(add(mul(add(mul(n, g.inHeight), iyFirst), g.inWidth), sub(mul(ox, g.strideW), g.padLeft)), pixelBytes)));
          f.set(yPixel, add(yRow, mul(ox, pixelBytes)));
          f.for(c, end4, g.channels, 1, () => block(scalar, 1));
        });
        f.set(ox, group);
      });
      f.set(rest, groupsEnd);
    });
    pixels(rest, g.outWidth);
  });
  return f;
}
