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
  f32,
  f32x4Lane,
  feq,
  fgt,
  fmax,
  loadF32,
  loadV128,
  ge,
  mul,
  shl,
  shrS,
  splat,
  vconst,
  veq,
  vmax,
} from './assembler.js';

/**
 * `maxArgMax(src, maxDst, indexDst, rows, columns)`: per row of a float32 `[rows, columns]` array
 * (`columns >= 1`), its maximum (float32) and the index of that maximum (int32), with the results of tfjs
 * cpu's `Max` and `ArgMax`, NaN included.
 *
 * Each row is read from memory once: its maximum with `f32x4.max` (two accumulators, 4 columns per lane
 * group, the 0-3 left over one by one), which is NaN when the row holds a NaN; then, the row now in cache,
 * the first column equal to that maximum (a SIMD search, then one by one within the group found). The
 * maximum written is that element itself, so a zero maximum keeps the first zero's sign, as cpu's
 * strictly-greater scan does.
 *
 * A row holding a NaN is rare and takes cpu's scan as it is: start from the first element and move on to a
 * strictly greater one. Nothing compares greater than NaN, so a row starting with NaN gives index 0 and NaNs
 * elsewhere are passed over; its maximum is NaN (cpu's `Max` takes any NaN).
 */
export function maxArgMaxProgram(): FunctionBuilder {
  const f = new FunctionBuilder('maxArgMax', [I32, I32, I32, I32, I32]);
  const [src, maxDst, indexDst, rows, columns] = f.args;
  const [row, rowPtr, ptr, quad, quads, column, at] = [f.local(), f.local(), f.local(), f.local(), f.local(), f.local(), f.local()];
  const [max0, max1, target] = [f.local(V128), f.local(V128), f.local(V128)];
  const [top, x, best] = [f.local(F32), f.local(F32), f.local(F32)];
  const element = (index: Expr | Local) => loadF32(add(rowPtr, shl(index, 2)));
  f.set(quads, shrS(columns, 2));
  f.set(rowPtr, src);
  f.for(row, 0, rows, 1, () => {
    // The row's maximum, NaN if it holds one (f32x4.max and f32.max propagate NaN).
    f.set(max0, vconst(-Infinity));
    f.set(max1, vconst(-Infinity));
    f.set(ptr, rowPtr);
    f.for(quad, 1, quads, 2, () => {
      f.set(max0, vmax(max0, loadV128(ptr)));
      f.set(max1, vmax(max1, loadV128(ptr, 16)));
      f.set(ptr, add(ptr, 32));
    });
    f.if(and(quads, 1), () => f.set(max0, vmax(max0, loadV128(ptr))));
    f.set(max0, vmax(max0, max1));
    f.set(top, fmax(fmax(f32x4Lane(max0, 0), f32x4Lane(max0, 1)), fmax(f32x4Lane(max0, 2), f32x4Lane(max0, 3))));
    f.for(column, shl(quads, 2), columns, 1, () => f.set(top, fmax(top, element(column))));
    f.if(
      feq(top, top),
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
          f.set(x, element(column));
          f.if(fgt(x, best), () => {
            f.set(best, x);
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
