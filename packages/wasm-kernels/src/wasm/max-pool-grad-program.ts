import {
  FunctionBuilder,
  I32,
  V128,
  add,
  and,
  f32,
  loadV128,
  max,
  min,
  mul,
  splat,
  sub,
  vadd,
  vand,
  vandNot,
  veq,
  vor,
  vpmax,
} from './assembler.js';

/**
 * `maxPoolGrad(x, dy, dx, batch, inH, inW, channels, outH, outW, filterH, filterW, strideH, strideW,
 * padTop, padLeft)`: for every window and every channel in the 4-wide groups (`channels & ~3` of them; the
 * caller handles the rest), adds dy to dx at the window's first maximum in row-major order among the real
 * inputs, the cpu kernel's rule. The caller zeroes dx.
 *
 * Two passes over each window, 4 channels at a time: the maximum (NaNs ignored, as a strict `>` from
 * -Infinity does), then a running "already taken" mask so only the first input equal to it receives dy.
 * A window whose maximum is -Infinity (all -Infinity or NaN) passes nothing.
 */
export function maxPoolGradProgram(): FunctionBuilder {
  const f = new FunctionBuilder('maxPoolGrad', Array.from({ length: 15 }, () => I32));
  const [x, dy, dx, batch, inH, inW, channels, outH, outW] = f.args;
  const [filterH, filterW, strideH, strideW, padTop, padLeft] = f.args.slice(9);
  const n = f.local();
  const oy = f.local();
  const ox = f.local();
  const c = f.local();
  const iy = f.local();
  const ix = f.local();
  const rowStart = f.local();
  const rowEnd = f.local();
  const colStart = f.local();
  const colEnd = f.local();
  const vectorEnd = f.local();
  const at = f.local();
  const dyAt = f.local();
  const best = f.local(V128);
  const taken = f.local(V128);
  const hit = f.local(V128);
  const grad = f.local(V128);

  /** Byte offset of pixel (n, iy, ix), channel c, in x or dx. */
  const pixel = () => mul(add(mul(add(mul(add(mul(n, inH), iy), inW), ix), channels), c), 4);
  const overWindow = (body: () => void) =>
    f.for(iy, rowStart, rowEnd, 1, () => f.for(ix, colStart, colEnd, 1, body));

  f.set(vectorEnd, and(channels, ~3));
  f.for(n, 0, batch, 1, () => {
    f.for(oy, 0, outH, 1, () => {
      f.set(rowStart, max(sub(mul(oy, strideH), padTop), 0));
      f.set(rowEnd, min(add(sub(mul(oy, strideH), padTop), filterH), inH));
      f.for(ox, 0, outW, 1, () => {
        f.set(colStart, max(sub(mul(ox, strideW), padLeft), 0));
        f.set(colEnd, min(add(sub(mul(ox, strideW), padLeft), filterW), inW));
        f.for(c, 0, vectorEnd, 4, () => {
          f.set(best, splat(f32(-Infinity)));
          overWindow(() => f.set(best, vpmax(best, loadV128(add(x, pixel())))));
          f.set(dyAt, add(dy, mul(add(mul(add(mul(add(mul(n, outH), oy), outW), ox), channels), c), 4)));
          // dy in the lanes whose maximum is finite, 0 elsewhere.
          f.set(grad, vandNot(loadV128(dyAt), veq(best, splat(f32(-Infinity)))));
          f.set(taken, splat(f32(0)));
          overWindow(() => {
            f.set(at, pixel());
            f.set(hit, vandNot(veq(loadV128(add(x, at)), best), taken));
            f.set(taken, vor(taken, hit));
            f.storeV128(add(dx, at), vadd(loadV128(add(dx, at)), vand(grad, hit)));
          });
        });
      });
    });
  });
  return f;
}
