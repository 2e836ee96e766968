import { type ValType, FunctionBuilder, I32, add, mul } from './assembler.js';
import {
  GEOMETRY_PARAMS,
  channelBlocks,
  firstInputPixel,
  geometryLocals,
  stridedLoop,
  tapLoops,
} from './conv-loops.js';

/**
 * Moving convolution patches between the image layout `[n, h, w, c]` and the column layout
 * `[n * outH * outW, filterH * filterW * c]` (row = output position, column = (tap, channel)), which turns
 * a convolution's filter and input gradients into matrix products:
 *
 * - `im2col(x, cols, ...geometry)`: `cols[(n, oy, ox), (p, q, c)] = x[n, iy, ix, c]`. Entries whose tap is in
 *   the padding are not written: the caller zeroes `cols` first when the convolution pads.
 * - `col2im(cols, dx, ...geometry)`: `dx[n, iy, ix, c] += cols[(n, oy, ox), (p, q, c)]`, the transpose of
 *   im2col. The caller zeroes `dx` first.
 *
 * `channels` in the geometry is the image's channel count.
 */

const PARAMS: ValType[] = [I32, I32, ...GEOMETRY_PARAMS.map(() => I32)];

function patchProgram(name: string, toColumns: boolean): FunctionBuilder {
  const f = new FunctionBuilder(name, PARAMS);
  const [first, second] = f.args;
  const image = toColumns ? first : second;
  const columns = toColumns ? second : first;
  const g = geometryLocals(f, 2);
  const pixelBytes = f.local();
  const imageStep = f.local();
  const colRowBytes = f.local();
  const imageRow = f.local();
  const colTap = f.local();
  const imagePtr = f.local();
  const colPtr = f.local();
  f.set(pixelBytes, mul(g.channels, 4));
  f.set(imageStep, mul(g.strideW, pixelBytes));
  f.set(colRowBytes, mul(mul(g.filterHeight, g.filterWidth), pixelBytes));
  tapLoops(f, g, (t) => {
    f.set(imageRow, add(image, mul(mul(add(mul(t.n, g.inHeight), t.iy), g.inWidth), pixelBytes)));
    // Column-matrix row of output (n, oy, 0), shifted to the (p, q) tap's channel block.
    f.set(
      colTap,
      add(
        add(columns, mul(mul(add(mul(t.n, g.outHeight), t.oy), g.outWidth), colRowBytes)),
        mul(add(mul(t.p, g.filterWidth), t.q), pixelBytes),
      ),
    );
    channelBlocks(f, g.channels, (lanes, c) => {
      stridedLoop(
        f,
        t.oxStart,
        t.oxEnd,
        [
          { ptr: imagePtr, start: firstInputPixel(t, g, imageRow, c), stepBytes: imageStep },
          { ptr: colPtr, start: add(add(colTap, mul(t.oxStart, colRowBytes)), mul(c, 4)), stepBytes: colRowBytes },
        ],
        () => {
          if (toColumns) lanes.store(f, colPtr, lanes.load(imagePtr));
          else lanes.store(f, imagePtr, lanes.add(lanes.load(imagePtr), lanes.load(colPtr)));
        },
      );
    });
  });
  return f;
}

/** See the file comment. */
export function im2colProgram(): FunctionBuilder {
  return patchProgram('im2col', true);
}

/** See the file comment. */
export function col2imProgram(): FunctionBuilder {
  return patchProgram('col2im', false);
}
