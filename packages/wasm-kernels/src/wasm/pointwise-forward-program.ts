import { FunctionBuilder, I32, add, and, loadSplat, mul } from './assembler.js';
import { ActivationEpilogue, type FusedActivation, type MultiplyAdd, convProgramName } from './activation-epilogue.js';
import type { LaneMath } from './simd-math.js';

/**
 * The forward 1x1 convolution (a matrix product, float32) with its epilogue fused:
 * `y[r, j] = act(sum_k x[r, k] * w[k, j] + bias[j])` for `x` `[rows, depth]` (NHWC pixels by input
 * channels), `w` `[depth, cols]` (tfjs's `[1, 1, in, out]` filter) and `y` `[rows, cols]`.
 *
 * `pointwiseForward_<act>(x, w, bias, y, depth, cols, rowStart, rowCount, residual)`: byte pointers (`bias`
 * 0 for none), then the rows to compute, so a thread can take any run of them and its outputs are whole,
 * then `residual` `[rows, cols]`, added after the activation (0, or left out, for none: a block's skip
 * connection in the projection's output pass instead of a pass of its own).
 *
 * Register blocking: 4 rows by 8 columns in eight v128 accumulators; per step of the depth, two loads of
 * `w`'s row and one broadcast load per row of `x` feed 16 multiply-adds. Columns left over go 4 wide, then
 * one by one; rows left over one at a time. Each output sums its products in depth order from 0, then adds
 * the bias, at every block size.
 */

/** Rows a block computes at once. */
const BLOCK_ROWS = 4;

export function pointwiseForwardProgram(activation: FusedActivation, multiplyAdd: MultiplyAdd = 'separate'): FunctionBuilder {
  const f = new FunctionBuilder(convProgramName('pointwiseForward', multiplyAdd, activation), [I32, I32, I32, I32, I32, I32, I32, I32, I32]);
  const [x, w, bias, y, depth, cols, rowStart, rowCount, residual] = f.args;
  const epilogue = new ActivationEpilogue(f, activation, multiplyAdd);
  const locals = (count: number) => Array.from({ length: count }, () => f.local());
  const [rowBytes, colBytes, rowEnd, blockEnd, cols8, cols4, i, j, k, wp] = locals(10);
  const xp = locals(BLOCK_ROWS);

  /**
   * Rows `i ..< i + rows` by columns `j ..< j + vectors * lanes`, where `math` is the vector width (4 lanes
   * per accumulator) or the scalar one.
   */
  const block = (math: LaneMath, rows: number, vectors: number) => {
    const { m } = math;
    const laneBytes = m.width * 4;
    const acc = Array.from({ length: rows }, () => Array.from({ length: vectors }, () => f.local(m.type)));
    const weights = Array.from({ length: vectors }, () => f.local(m.type));
    const broadcast = f.local(m.type);
    for (const row of acc) for (const a of row) f.set(a, m.zero);
    for (let r = 0; r < rows; r++) f.set(xp[r], add(x, mul(add(i, r), rowBytes)));
    f.set(wp, add(w, mul(j, 4)));
    f.for(k, 0, depth, 1, () => {
      weights.forEach((weight, v) => f.set(weight, m.load(wp, v * laneBytes)));
      for (let r = 0; r < rows; r++) {
        f.set(broadcast, m.width === 4 ? loadSplat(xp[r]) : m.load(xp[r]));
        acc[r].forEach((a, v) => f.set(a, m.madd(broadcast, weights[v], a)));
        f.set(xp[r], add(xp[r], 4));
      }
      f.set(wp, add(wp, colBytes));
    });
    f.if(bias, () => {
      weights.forEach((b, v) => f.set(b, m.load(add(add(bias, mul(j, 4)), v * laneBytes))));
      for (const row of acc) row.forEach((a, v) => f.set(a, m.add(a, weights[v])));
    });
    // Output (i + r, j + 4v) is `offset(r) + 16v` bytes into y and into residual.
    const offset = (r: number) => mul(add(mul(add(i, r), cols), j), 4);
    const store = (withResidual: boolean) =>
      acc.forEach((row, r) =>
        row.forEach((a, v) => {
          const value = epilogue.apply(math, a);
          m.store(f, add(add(y, offset(r)), v * laneBytes), withResidual ? m.add(value, m.load(add(residual, offset(r)), v * laneBytes)) : value);
        }),
      );
    f.if(residual, () => store(true), () => store(false));
  };

  /** Every row of the range for the columns of one block width. */
  const rowsOf = (math: LaneMath, vectors: number) => {
    f.for(i, rowStart, blockEnd, BLOCK_ROWS, () => block(math, BLOCK_ROWS, vectors));
    f.for(i, blockEnd, rowEnd, 1, () => block(math, 1, vectors));
  };

  f.set(rowBytes, mul(depth, 4));
  f.set(colBytes, mul(cols, 4));
  f.set(rowEnd, add(rowStart, rowCount));
  f.set(blockEnd, add(rowStart, and(rowCount, ~(BLOCK_ROWS - 1))));
  f.set(cols8, and(cols, ~7));
  f.set(cols4, and(cols, ~3));
  f.for(j, 0, cols8, 8, () => rowsOf(epilogue.vector, 2));
  f.for(j, cols8, cols4, 4, () => rowsOf(epilogue.vector, 1));
  f.for(j, cols4, cols, 1, () => rowsOf(epilogue.scalar, 1));
  return f;
}
