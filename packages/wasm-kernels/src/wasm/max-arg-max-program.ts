import {
  type Expr,
  type Local,
  F32,
  FunctionBuilder,
  I32,
  V128,
  add,
  and,
  anyTrue,
  eq,
  f32,
  f32x4Lane,
  feq,
  fgt,
  loadF32,
  loadV128,
  ge,
  mul,
  shl,
  shrS,
  shuffle32,
  splat,
  vconst,
  veq,
  vne,
  vor,
  vpmax,
} from './assembler.js';

/**
 * `maxArgMax(src, maxDst, indexDst, rows, columns)`: per row of a float32 `[rows, columns]` array
 * (`columns >= 1`), its maximum (float32) and the index of that maximum (int32), with the results of tfjs
 * cpu's `Max` and `ArgMax`, NaN included.
 *
 * Each row is read from memory once: its maximum over the non-NaN values with `f32x4.pmax` (four
 * accumulators, 4 columns per lane group, the 0-3 left over splatted into them), while `f32x4.ne(x, x)`
 * marks any NaN; then, the row now in cache, the first column equal to that maximum (a SIMD search, then
 * one by one within the group found). `pmax` is one machine instruction where `f32x4.max`, which must
 * propagate NaN and order the zeros, is a sequence of about nine on x64 whose latency chained the pass
 * (it took twice as long). The maximum written is the element found itself, so a zero maximum keeps the
 * first zero's sign, as cpu's strictly-greater scan does.
 *
 * A row holding a NaN is rare and takes cpu's scan as it is: start from the first element and move on to a
 * strictly greater one. Nothing compares greater than NaN, so a row starting with NaN gives index 0 and NaNs
 * elsewhere are passed over; its maximum is NaN (cpu's `Max` takes any NaN).
 */
export function maxArgMaxProgram(): FunctionBuilder {
  const f = new FunctionBuilder('maxArgMax', [I32, I32, I32, I32, I32]);
  const [src, maxDst, indexDst, rows, columns] = f.args;
  const [row, rowPtr, ptr, quad, quads, groupedQuads, column, at] = [f.local(), f.local(), f.local(), f.local(), f.local(), f.local(), f.local(), f.local()];
  const maxima = [f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
  const [nan, x, target] = [f.local(V128), f.local(V128), f.local(V128)];
  const [top, value, best] = [f.local(F32), f.local(F32), f.local(F32)];
  const element = (index: Expr | Local) => loadF32(add(rowPtr, shl(index, 2)));
  /** Folds the vector `x` into accumulator `maximum`, marking its NaN lanes. */
  const fold = (maximum: Local) => {
    f.set(maximum, vpmax(maximum, x));
    f.set(nan, vor(nan, vne(x, x)));
  };
  f.set(quads, shrS(columns, 2));
  f.set(groupedQuads, and(quads, -4));
  f.set(rowPtr, src);
  f.for(row, 0, rows, 1, () => {
    for (const maximum of maxima) f.set(maximum, vconst(-Infinity));
    f.set(nan, vconst(0));
    f.set(ptr, rowPtr);
    f.for(quad, 0, groupedQuads, 4, () => {
      maxima.forEach((maximum, k) => {
        f.set(x, loadV128(ptr, 16 * k));
        fold(maximum);
      });
      f.set(ptr, add(ptr, 64));
    });
    f.for(quad, groupedQuads, quads, 1, () => {
      f.set(x, loadV128(ptr));
      fold(maxima[0]);
      f.set(ptr, add(ptr, 16));
    });
    f.for(column, shl(quads, 2), columns, 1, () => {
      f.set(x, splat(element(column)));
      fold(maxima[1]);
    });
    // Across the accumulators, then across the lanes: pmax of each lane and its swapped partner.
    f.set(x, vpmax(vpmax(maxima[0], maxima[1]), vpmax(maxima[2], maxima[3])));
    f.set(x, vpmax(x, shuffle32(x, x, [2, 3, 0, 1])));
    f.set(x, vpmax(x, shuffle32(x, x, [1, 0, 3, 2])));
    f.set(top, f32x4Lane(x, 0));
    f.if(
      eq(anyTrue(nan), 0),
      () => {
        // The first group of 4 holding the maximum (or the left-over columns), then the first column in
        // it that equals the maximum; one does, so the scalar search ends.
        f.set(target, splat(top));
        f.set(ptr, rowPtr);
        f.set(quad, 0);
        f.until([ge(quad, quads), anyTrue(veq(loadV128(ptr), target))], () => {
          f.set(ptr, add(ptr, 16));
          f.set(quad, add(quad, 1));
        });
        f.set(at, shl(quad, 2));
        f.until([feq(element(at), top)], () => f.set(at, add(at, 1)));
        f.storeF32(add(maxDst, shl(row, 2)), element(at));
        f.storeI32(add(indexDst, shl(row, 2)), at);
      },
      () => {
        f.set(best, element(0));
        f.set(at, 0);
        f.for(column, 1, columns, 1, () => {
          f.set(value, element(column));
          f.if(fgt(value, best), () => {
            f.set(best, value);
            f.set(at, column);
          });
        });
        f.storeF32(add(maxDst, shl(row, 2)), f32(Number.NaN));
        f.storeI32(add(indexDst, shl(row, 2)), at);
      },
    );
    f.set(rowPtr, add(rowPtr, mul(columns, 4)));
  });
  return f;
}
