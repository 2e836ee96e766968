import { type Local, FunctionBuilder, I32, add, and, divS, f32ReinterpretI32, mul, shrS, splat, sub } from './assembler.js';
import { ActivationEpilogue, type FusedActivation } from './activation-epilogue.js';
import type { LaneMath } from './simd-math.js';
import { elementwise } from './swish-program.js';

/**
 * A BiFPN node's fusion and the activation after it, in one pass over float32 maps:
 * `y = act(w0 * x0 + w1 * x1 [+ w2 * x2])`, each product and sum rounded to float32 in that order (as the
 * composed ops are).
 *
 * `weightedSum<n>_<act>(x0, x1, x2, w0, w1, w2, y, count)`: byte pointers (`x2` unused for n = 2), the
 * weights as float32 bits, then the element count.
 */
export function weightedSumProgram(inputs: 2 | 3, activation: FusedActivation): FunctionBuilder {
  const f = new FunctionBuilder(`weightedSum${inputs}_${activation}`, [I32, I32, I32, I32, I32, I32, I32, I32]);
  const [x0, x1, x2, w0, w1, w2, y, count] = f.args;
  const epilogue = new ActivationEpilogue(f, activation);
  const xs = [x0, x1, x2].slice(0, inputs);
  const pointers = xs.map(() => f.local());
  const yPtr = f.local();
  // The weights in every lane of a v128, and as scalars, set up before the loop.
  const vectorWeights = [w0, w1, w2].slice(0, inputs).map((bits) => {
    const local = f.local(epilogue.vector.m.type);
    f.set(local, splat(f32ReinterpretI32(bits)));
    return local;
  });
  const scalarWeights = [w0, w1, w2].slice(0, inputs).map((bits) => {
    const local = f.local(epilogue.scalar.m.type);
    f.set(local, f32ReinterpretI32(bits));
    return local;
  });
  const streams: [Local, Local][] = [...xs.map((x, i): [Local, Local] => [pointers[i], x]), [yPtr, y]];
  elementwise(f, count, streams, (math) => {
    const { m } = math;
    const weights = m.width === 4 ? vectorWeights : scalarWeights;
    const total = f.local(m.type);
    f.set(total, m.mul(weights[0], m.load(pointers[0])));
    for (let i = 1; i < inputs; i++) f.set(total, m.add(total, m.mul(weights[i], m.load(pointers[i]))));
    m.store(f, yPtr, epilogue.apply(math, total));
  });
  return f;
}


/**
 * The top-down BiFPN node's fusion with its upsampling: `y = act(w0 * x0 + w1 * up(x1))`, where `up` is
 * nearest-neighbour by 2 cropped to x0's size (output cell `(i, j)` reads `x1`'s cell `(i >> 1, j >> 1)`),
 * rounded as `weightedSum2_<act>`: the upsampled copy of `x1` is never made.
 *
 * `weightedSumUp_<act>(x0, x1, w0, w1, y, channels, width, height, x1Width, x1Height, rowStart, rowCount)`:
 * byte pointers, the weights as float32 bits, then the geometry (x0 and y `[N, height, width, channels]`, x1
 * `[N, x1Height, x1Width, channels]`), then the output rows to compute, numbered over the batch
 * (`n * height + oy`), so a thread can take any run of them.
 */
export function weightedSumUpProgram(activation: FusedActivation): FunctionBuilder {
  const f = new FunctionBuilder(`weightedSumUp_${activation}`, Array.from({ length: 12 }, () => I32));
  const [x0, x1, w0, w1, y, channels, width, height, x1Width, x1Height, rowStart, rowCount] = f.args;
  const epilogue = new ActivationEpilogue(f, activation);
  const [row, rowEnd, n, oy, ox, c, end4, pixelBytes, x0Pixel, x1Row, yPixel, x1Pixel] = Array.from({ length: 12 }, () => f.local());
  const weightsOf = (math: LaneMath) =>
    [w0, w1].map((bits) => {
      const local = f.local(math.m.type);
      f.set(local, math.m.width === 4 ? splat(f32ReinterpretI32(bits)) : f32ReinterpretI32(bits));
      return local;
    });
  const vectorWeights = weightsOf(epilogue.vector);
  const scalarWeights = weightsOf(epilogue.scalar);
  /** Channels `[from, to)` of the current pixel, `math`'s width at a time. */
  const lanes = (math: LaneMath, weights: Local[], from: Local | number, to: Local) => {
    const { m } = math;
    f.for(c, from, to, m.width, () => {
      const offset = mul(c, 4);
      const total = f.local(m.type);
      f.set(total, m.mul(weights[0], m.load(add(x0Pixel, offset))));
      f.set(total, m.add(total, m.mul(weights[1], m.load(add(x1Pixel, offset)))));
      m.store(f, add(yPixel, offset), epilogue.apply(math, total));
    });
  };
  f.set(pixelBytes, mul(channels, 4));
  f.set(end4, and(channels, ~3));
  f.set(rowEnd, add(rowStart, rowCount));
  f.for(row, rowStart, rowEnd, 1, () => {
    f.set(n, divS(row, height));
    f.set(oy, sub(row, mul(n, height)));
    f.set(x0Pixel, add(x0, mul(mul(row, width), pixelBytes)));
    f.set(yPixel, add(y, mul(mul(row, width), pixelBytes)));
    f.set(x1Row, add(x1, mul(mul(add(mul(n, x1Height), shrS(oy, 1)), x1Width), pixelBytes)));
    f.for(ox, 0, width, 1, () => {
      f.set(x1Pixel, add(x1Row, mul(shrS(ox, 1), pixelBytes)));
      lanes(epilogue.vector, vectorWeights, 0, end4);
      lanes(epilogue.scalar, scalarWeights, end4, channels);
      f.set(x0Pixel, add(x0Pixel, pixelBytes));
      f.set(yPixel, add(yPixel, pixelBytes));
    });
  });
  return f;
}
