import { type Expr, type Local, FunctionBuilder, I32, add, and, divS, eq, f32ReinterpretI32, fgt, ge, lt, mul, select, splat, sub } from './assembler.js';
import { type MathLanes, SCALAR_MATH, VECTOR_MATH } from './simd-math.js';

/**
 * Max pooling of an NHWC float32 map padded with a constant, without making the padded copy:
 * `y[n, oy, ox, c] = max over p, q < size of v(oy * stride - padTop + p, ox * stride - padLeft + q)`, where
 * `v` is `x` inside the map and `padValue` outside it.
 *
 * `paddedMaxPool(x, y, height, width, channels, outHeight, outWidth, size, stride, padTop, padLeft,
 * padValueBits, rowStart, rowCount)`: byte pointers, the geometry, the pad value as float32 bits, then the
 * output rows to compute (numbered over the batch, `n * outHeight + oy`), so a thread can take any run of
 * them. Taps are taken in (p, q) order from -Infinity and a tap replaces the maximum only when it is
 * greater (f32x4.pmax, and the same test one lane wide), as tfjs's cpu max-pool does over a padded copy;
 * a 1x1 window at stride 1 copies the padded map, as tfjs's kernels do.
 */
export function paddedMaxPoolProgram(): FunctionBuilder {
  const f = new FunctionBuilder('paddedMaxPool', Array.from({ length: 14 }, () => I32));
  const [x, y, height, width, channels, outHeight, outWidth, size, stride, padTop, padLeft, padBits, rowStart, rowCount] = f.args;
  const [row, rowEnd, n, oy, ox, iy, ix, p, q, c, end4, pixelBytes, yp, tapRow, inside, identity] = Array.from({ length: 16 }, () => f.local());
  const padV = f.local(VECTOR_MATH.type);
  const padS = f.local(SCALAR_MATH.type);
  f.set(padS, f32ReinterpretI32(padBits));
  f.set(padV, splat(padS));

  /** `a` or `b`, whichever is greater, `a` unless `b > a`: pmax one lane wide (f32.max would spread NaN). */
  const greater = (m: MathLanes, a: Local, b: Expr | Local): Expr => (m.width === 4 ? m.max(a, b) : select(b, a, fgt(b, a)));

  const block = (m: MathLanes, width4: boolean) => {
    const acc = f.local(m.type);
    const tap = f.local(m.type);
    f.set(acc, m.constant(Number.NEGATIVE_INFINITY));
    f.for(p, 0, size, 1, () => {
      f.set(iy, add(sub(mul(oy, stride), padTop), p));
      f.set(tapRow, and(ge(iy, 0), lt(iy, height)));
      f.for(q, 0, size, 1, () => {
        f.set(ix, add(sub(mul(ox, stride), padLeft), q));
        f.set(inside, and(tapRow, and(ge(ix, 0), lt(ix, width))));
        f.if(
          inside,
          () => f.set(tap, m.load(add(add(x, mul(add(mul(add(mul(n, height), iy), width), ix), pixelBytes)), mul(c, 4)))),
          () => f.set(tap, width4 ? padV : padS),
        );
        f.if(identity, () => f.set(acc, tap), () => f.set(acc, greater(m, acc, tap)));
      });
    });
    m.store(f, add(yp, mul(c, 4)), acc);
  };

  // A 1x1 window at stride 1 is a copy of the padded map, NaN included, as tfjs's kernels take it.
  f.set(identity, and(eq(size, 1), eq(stride, 1)));
  f.set(pixelBytes, mul(channels, 4));
  f.set(end4, and(channels, ~3));
  f.set(rowEnd, add(rowStart, rowCount));
  f.for(row, rowStart, rowEnd, 1, () => {
    f.set(n, divS(row, outHeight));
    f.set(oy, sub(row, mul(n, outHeight)));
    f.for(ox, 0, outWidth, 1, () => {
      f.set(yp, add(y, mul(add(mul(row, outWidth), ox), pixelBytes)));
      f.for(c, 0, end4, 4, () => block(VECTOR_MATH, true));
      f.for(c, end4, channels, 1, () => block(SCALAR_MATH, false));
    });
  });
  return f;
}
