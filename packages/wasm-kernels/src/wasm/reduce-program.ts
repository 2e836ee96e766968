import { F32, FunctionBuilder, I32, add, min, mul } from './assembler.js';
import { channelBlocks, stridedLoop } from './conv-loops.js';

/**
 * `reduceMiddle(src, dst, outer, rows, inner, scale)`: `dst[o, i] = scale * sum_r src[o, r, i]` for a
 * float32 `[outer, rows, inner]` array: a reduction over a block of axes that has kept axes after it (the
 * batch-norm statistics over N, H, W of NHWC; the spatial mean of a global pool), read in memory order
 * with 4 columns per SIMD lane group, so nothing is transposed first.
 *
 * Rows are summed in blocks of `BLOCK` into a register, then added to `dst`: shorter running sums lose less
 * float32 precision than one sum over all rows.
 */

const BLOCK = 64;

export function reduceProgram(): FunctionBuilder {
  const f = new FunctionBuilder('reduceMiddle', [I32, I32, I32, I32, I32, F32]);
  const [src, dst, outer, rows, inner, scale] = f.args;
  const o = f.local();
  const rowStart = f.local();
  const rowEnd = f.local();
  const srcBlock = f.local();
  const dstRow = f.local();
  const rowBytes = f.local();
  const ptr = f.local();
  f.set(rowBytes, mul(inner, 4));
  f.for(o, 0, outer, 1, () => {
    f.set(dstRow, add(dst, mul(o, rowBytes)));
    channelBlocks(f, inner, (lanes, c) => lanes.store(f, add(dstRow, mul(c, 4)), lanes.zero));
    f.for(rowStart, 0, rows, BLOCK, () => {
      f.set(rowEnd, min(add(rowStart, BLOCK), rows));
      f.set(srcBlock, add(src, mul(add(mul(o, rows), rowStart), rowBytes)));
      channelBlocks(f, inner, (lanes, c) => {
        const acc = f.local(lanes.type);
        f.set(acc, lanes.zero);
        stridedLoop(f, rowStart, rowEnd, [{ ptr, start: add(srcBlock, mul(c, 4)), stepBytes: rowBytes }], () =>
          f.set(acc, lanes.add(acc, lanes.load(ptr))),
        );
        const at = add(dstRow, mul(c, 4));
        lanes.store(f, at, lanes.add(lanes.load(at), acc));
      });
    });
    channelBlocks(f, inner, (lanes, c) => {
      const at = add(dstRow, mul(c, 4));
      lanes.store(f, at, lanes.mul(lanes.load(at), lanes.broadcast(scale)));
    });
  });
  return f;
}
