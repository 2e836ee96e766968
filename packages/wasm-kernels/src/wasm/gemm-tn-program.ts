import { FunctionBuilder, I32, type Local, add, and, loadF32, loadSplat, min, mul } from './assembler.js';
import { type Lanes, SCALAR, VECTOR } from './conv-loops.js';

/**
 * `matmulTN(a, b, c, k, m, n)`: `c[i, j] += sum_p a[p, i] * b[p, j]` for row-major `a: [k, m]`,
 * `b: [k, n]`, `c: [m, n]` (the caller zeroes c). This is a filter gradient, `dW = patches^T . dy`, whose
 * contraction runs over the long first axis of both operands; computing it in this layout reads both
 * once, with no transposed copies and no weight packing.
 *
 * Register tiles of 4 rows x 8 columns of c (8 SIMD accumulators) are updated from one 8-float row piece
 * of b and 4 broadcast floats of a per step of p; p advances in chunks of `CHUNK` so the chunk of a and b
 * being tiled stays in cache. Narrower tiles (4 and 1 columns, 1 row) cover the edges.
 */

const CHUNK = 128;

/** Column units of a tile: `count` groups of `lanes.width` floats. */
interface Units {
  lanes: Lanes;
  count: number;
}

export function gemmTnProgram(): FunctionBuilder {
  const f = new FunctionBuilder('matmulTN', [I32, I32, I32, I32, I32, I32]);
  const [a, b, c, k, m, n] = f.args;
  const p0 = f.local();
  const p1 = f.local();
  const i = f.local();
  const j = f.local();
  const rowsEnd = f.local();
  const cols8 = f.local();
  const cols4 = f.local();
  const aRow = f.local(); // bytes per row of a
  const bRow = f.local(); // bytes per row of b
  const aPtr = f.local();
  const bPtr = f.local();
  const p = f.local();

  /** One tile: rows `[row, row + rows)`, columns from `col`, accumulated over p in `[p0, p1)`. */
  function tile(row: Local, rows: number, col: Local, units: Units): void {
    const { lanes, count } = units;
    const acc = Array.from({ length: rows * count }, () => f.local(lanes.type));
    const bv = Array.from({ length: count }, () => f.local(lanes.type));
    const av = f.local(lanes.type);
    const cAt = (r: number, u: number) => add(c, mul(add(mul(add(row, r), n), add(col, u * lanes.width)), 4));
    for (let r = 0; r < rows; r++) for (let u = 0; u < count; u++) f.set(acc[r * count + u], lanes.load(cAt(r, u)));
    f.set(aPtr, add(a, mul(add(mul(p0, m), row), 4)));
    f.set(bPtr, add(b, mul(add(mul(p0, n), col), 4)));
    f.for(p, p0, p1, 1, () => {
      for (let u = 0; u < count; u++) f.set(bv[u], lanes.load(add(bPtr, u * lanes.width * 4)));
      for (let r = 0; r < rows; r++) {
        f.set(av, lanes === VECTOR ? loadSplat(aPtr, r * 4) : loadF32(aPtr, r * 4));
        for (let u = 0; u < count; u++) f.set(acc[r * count + u], lanes.add(acc[r * count + u], lanes.mul(av, bv[u])));
      }
      f.set(aPtr, add(aPtr, aRow));
      f.set(bPtr, add(bPtr, bRow));
    });
    for (let r = 0; r < rows; r++) for (let u = 0; u < count; u++) lanes.store(f, cAt(r, u), acc[r * count + u]);
  }

  /** Every column of the rows `[row, row + rows)`: 8-wide tiles, then one 4-wide, then single columns. */
  function rowBand(row: Local, rows: number): void {
    f.for(j, 0, cols8, 8, () => tile(row, rows, j, { lanes: VECTOR, count: 2 }));
    f.for(j, cols8, cols4, 4, () => tile(row, rows, j, { lanes: VECTOR, count: 1 }));
    f.for(j, cols4, n, 1, () => tile(row, rows, j, { lanes: SCALAR, count: 1 }));
  }

  f.set(aRow, mul(m, 4));
  f.set(bRow, mul(n, 4));
  f.set(rowsEnd, and(m, ~3));
  f.set(cols8, and(n, ~7));
  f.set(cols4, and(n, ~3));
  f.for(p0, 0, k, CHUNK, () => {
    f.set(p1, min(add(p0, CHUNK), k));
    f.for(i, 0, rowsEnd, 4, () => rowBand(i, 4));
    f.for(i, rowsEnd, m, 1, () => rowBand(i, 1));
  });
  return f;
}
