import { FunctionBuilder, I32, V128, add, and, loadF32, loadV128, mul, shuffle32 } from './assembler.js';

/**
 * `transpose2d(src, dst, rows, cols)`: `dst[c, r] = src[r, c]` for a row-major float32 matrix. The body
 * moves 4 x 4 tiles through SIMD registers (8 shuffles per tile); rows and columns beyond a multiple of 4
 * are copied one float at a time. Tiles are visited row band by row band, so the band being read stays in
 * cache while `cols` destination rows are appended to 16 bytes at a time.
 */
export function transposeProgram(): FunctionBuilder {
  const f = new FunctionBuilder('transpose2d', [I32, I32, I32, I32]);
  const [src, dst, rows, cols] = f.args;
  const r = f.local();
  const c = f.local();
  const rowEnd = f.local();
  const colEnd = f.local();
  const srcRow = f.local(); // bytes per source row
  const dstRow = f.local(); // bytes per destination row
  const from = f.local();
  const to = f.local();
  const [r0, r1, r2, r3, t0, t1, t2, t3] = Array.from({ length: 8 }, () => f.local(V128));
  f.set(rowEnd, and(rows, ~3));
  f.set(colEnd, and(cols, ~3));
  f.set(srcRow, mul(cols, 4));
  f.set(dstRow, mul(rows, 4));
  f.for(r, 0, rowEnd, 4, () => {
    f.for(c, 0, colEnd, 4, () => {
      f.set(from, add(src, mul(add(mul(r, cols), c), 4)));
      f.set(r0, loadV128(from));
      f.set(r1, loadV128(add(from, srcRow)));
      f.set(r2, loadV128(add(from, mul(srcRow, 2))));
      f.set(r3, loadV128(add(from, mul(srcRow, 3))));
      // Interleave pairs of rows, then pairs of pairs: rows become columns.
      f.set(t0, shuffle32(r0, r1, [0, 4, 1, 5]));
      f.set(t1, shuffle32(r0, r1, [2, 6, 3, 7]));
      f.set(t2, shuffle32(r2, r3, [0, 4, 1, 5]));
      f.set(t3, shuffle32(r2, r3, [2, 6, 3, 7]));
      f.set(to, add(dst, mul(add(mul(c, rows), r), 4)));
      f.storeV128(to, shuffle32(t0, t2, [0, 1, 4, 5]));
      f.storeV128(add(to, dstRow), shuffle32(t0, t2, [2, 3, 6, 7]));
      f.storeV128(add(to, mul(dstRow, 2)), shuffle32(t1, t3, [0, 1, 4, 5]));
      f.storeV128(add(to, mul(dstRow, 3)), shuffle32(t1, t3, [2, 3, 6, 7]));
    });
    // Columns left over in this band.
    f.for(c, colEnd, cols, 1, () => {
      for (let k = 0; k < 4; k++) {
        const row = add(r, k);
        f.storeF32(add(dst, mul(add(mul(c, rows), row), 4)), loadF32(add(src, mul(add(mul(row, cols), c), 4))));
      }
    });
  });
  // Rows left over.
  f.for(r, rowEnd, rows, 1, () => {
    f.for(c, 0, cols, 1, () => {
      f.storeF32(add(dst, mul(add(mul(c, rows), r), 4)), loadF32(add(src, mul(add(mul(r, cols), c), 4))));
    });
  });
  return f;
}
