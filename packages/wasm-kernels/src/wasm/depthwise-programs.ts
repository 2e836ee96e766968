import { type ValType, FunctionBuilder, I32, add, mul } from './assembler.js';
import {
  GEOMETRY_PARAMS,
  channelBlocks,
  firstInputPixel,
  firstOutputPixel,
  geometryLocals,
  stridedLoop,
  tapLoops,
} from './conv-loops.js';

/**
 * SIMD programs for the two depthwise-convolution backward passes (channel multiplier 1; NHWC; float32).
 * Both take three byte pointers and then the geometry (`GEOMETRY_PARAMS`), where `channels` is the channel
 * count of x, dy and the filter alike. Their outputs must be zeroed by the caller: they accumulate.
 */

const PARAMS: ValType[] = [I32, I32, I32, ...GEOMETRY_PARAMS.map(() => I32)];

/**
 * `depthwiseFilterGrad(x, dy, dw, ...geometry)`:
 * `dw[p, q, c] += sum_{n, oy, ox} x[n, iy, ix, c] * dy[n, oy, ox, c]`.
 */
export function depthwiseFilterGradProgram(): FunctionBuilder {
  const f = new FunctionBuilder('depthwiseFilterGrad', PARAMS);
  const [x, dy, dw] = f.args;
  const g = geometryLocals(f, 3);
  const xRow = f.local();
  const dyRow = f.local();
  const xPtr = f.local();
  const dyPtr = f.local();
  const accAddr = f.local();
  const xStep = f.local();
  const pixelBytes = f.local();
  f.set(pixelBytes, mul(g.channels, 4));
  f.set(xStep, mul(g.strideW, pixelBytes));
  tapLoops(f, g, (t) => {
    f.set(xRow, add(x, mul(mul(add(mul(t.n, g.inHeight), t.iy), g.inWidth), pixelBytes)));
    f.set(dyRow, add(dy, mul(mul(add(mul(t.n, g.outHeight), t.oy), g.outWidth), pixelBytes)));
    channelBlocks(f, g.channels, (lanes, c) => {
      const acc = f.local(lanes.type);
      f.set(accAddr, add(dw, mul(add(mul(add(mul(t.p, g.filterWidth), t.q), g.channels), c), 4)));
      f.set(acc, lanes.load(accAddr));
      stridedLoop(
        f,
        t.oxStart,
        t.oxEnd,
        [
          { ptr: xPtr, start: firstInputPixel(t, g, xRow, c), stepBytes: xStep },
          { ptr: dyPtr, start: firstOutputPixel(t, g, dyRow, c), stepBytes: pixelBytes },
        ],
        () => f.set(acc, lanes.add(acc, lanes.mul(lanes.load(xPtr), lanes.load(dyPtr)))),
      );
      lanes.store(f, accAddr, acc);
    });
  });
  return f;
}

/**
 * `depthwiseInputGrad(dy, w, dx, ...geometry)`:
 * `dx[n, iy, ix, c] += sum_{p, q} dy[n, oy, ox, c] * w[p, q, c]` over the (tap, output) pairs that read
 * `(iy, ix)` in the forward pass.
 */
export function depthwiseInputGradProgram(): FunctionBuilder {
  const f = new FunctionBuilder('depthwiseInputGrad', PARAMS);
  const [dy, w, dx] = f.args;
  const g = geometryLocals(f, 3);
  const dxRow = f.local();
  const dyRow = f.local();
  const dxPtr = f.local();
  const dyPtr = f.local();
  const dxStep = f.local();
  const pixelBytes = f.local();
  f.set(pixelBytes, mul(g.channels, 4));
  f.set(dxStep, mul(g.strideW, pixelBytes));
  tapLoops(f, g, (t) => {
    f.set(dxRow, add(dx, mul(mul(add(mul(t.n, g.inHeight), t.iy), g.inWidth), pixelBytes)));
    f.set(dyRow, add(dy, mul(mul(add(mul(t.n, g.outHeight), t.oy), g.outWidth), pixelBytes)));
    channelBlocks(f, g.channels, (lanes, c) => {
      const weight = f.local(lanes.type);
      f.set(weight, lanes.load(add(w, mul(add(mul(add(mul(t.p, g.filterWidth), t.q), g.channels), c), 4))));
      stridedLoop(
        f,
        t.oxStart,
        t.oxEnd,
        [
          { ptr: dxPtr, start: firstInputPixel(t, g, dxRow, c), stepBytes: dxStep },
          { ptr: dyPtr, start: firstOutputPixel(t, g, dyRow, c), stepBytes: pixelBytes },
        ],
        () => lanes.store(f, dxPtr, lanes.add(lanes.load(dxPtr), lanes.mul(lanes.load(dyPtr), weight))),
      );
    });
  });
  return f;
}
