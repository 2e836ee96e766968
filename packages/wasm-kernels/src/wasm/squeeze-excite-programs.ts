import { type Local, FunctionBuilder, I32, add, and, f32ConvertI32, mul, splat } from './assembler.js';
import { type MathLanes, SCALAR_MATH, VECTOR_MATH } from './simd-math.js';

/**
 * The passes over the feature map of a squeeze-and-excitation block (the gate in between is two 1x1
 * convolutions of one pixel, run by `pointwiseForward_*`).
 *
 * `rowMeans(x, means, width, channels, rows)`: `means[r, c] = (sum_w x[r, w, c]) / width` for `rows` rows
 * of `width` pixels of `channels` floats, summed in pixel order. Run on the map's rows, then on those row
 * means as rows of `height` pixels, it gives the mean over W, then over H, as the composed
 * `globalAveragePool`. Channels go 16 at a time (a cache line of each pixel, four v128 accumulators), then
 * 4, then one by one, with the same math at every width; a row is walked once per 16 channels, from cache.
 *
 * `channelScale(x, gate, y, channels, pixels)`: `y[p, c] = x[p, c] * gate[c]` over `pixels` pixels.
 *
 * `rowScale(x, scale, y, cols, rows)`: `y[r, j] = x[r, j] * scale[r]` over `rows` rows of `cols` floats:
 * a 1x1 filter `[in, out]` with each input channel's row scaled by its gate, so that the gate multiplies
 * the filter once instead of every pixel of the map.
 */

export function rowMeansProgram(): FunctionBuilder {
  const f = new FunctionBuilder('rowMeans', [I32, I32, I32, I32, I32]);
  const [x, means, width, channels, rows] = f.args;
  const [pixelBytes, row, c, end16, end4, w, xRow, xp, out] = Array.from({ length: 9 }, () => f.local());
  // The divisor as a float, in every lane and as a scalar.
  const widthV = f.local(VECTOR_MATH.type);
  f.set(widthV, splat(f32ConvertI32(width)));
  const widthS = f.local(SCALAR_MATH.type);
  f.set(widthS, f32ConvertI32(width));

  const block = (m: MathLanes, vectors: number) => {
    const laneBytes = m.width * 4;
    const divisor = m.width === 4 ? widthV : widthS;
    const sums = Array.from({ length: vectors }, () => f.local(m.type));
    for (const sum of sums) f.set(sum, m.zero);
    f.set(xp, add(xRow, mul(c, 4)));
    f.for(w, 0, width, 1, () => {
      sums.forEach((sum, v) => f.set(sum, m.add(sum, m.load(add(xp, v * laneBytes)))));
      f.set(xp, add(xp, pixelBytes));
    });
    sums.forEach((sum, v) => m.store(f, add(add(out, mul(c, 4)), v * laneBytes), m.div(sum, divisor)));
  };

  f.set(pixelBytes, mul(channels, 4));
  f.set(end16, and(channels, ~15));
  f.set(end4, and(channels, ~3));
  f.set(xRow, x);
  f.set(out, means);
  f.for(row, 0, rows, 1, () => {
    f.for(c, 0, end16, 16, () => block(VECTOR_MATH, 4));
    f.for(c, end16, end4, 4, () => block(VECTOR_MATH, 1));
    f.for(c, end4, channels, 1, () => block(SCALAR_MATH, 1));
    f.set(xRow, add(xRow, mul(width, pixelBytes)));
    f.set(out, add(out, pixelBytes));
  });
  return f;
}

export function channelScaleProgram(): FunctionBuilder {
  const f = new FunctionBuilder('channelScale', [I32, I32, I32, I32, I32]);
  const [x, gate, y, channels, pixels] = f.args;
  const [p, c, end4, xp, yp] = Array.from({ length: 5 }, () => f.local());
  const lanes = (m: MathLanes, from: Local | number, to: Local) => {
    f.for(c, from, to, m.width, () => {
      const offset = mul(c, 4);
      m.store(f, add(yp, offset), m.mul(m.load(add(xp, offset)), m.load(add(gate, offset))));
    });
  };
  f.set(end4, and(channels, ~3));
  f.set(xp, x);
  f.set(yp, y);
  f.for(p, 0, pixels, 1, () => {
    lanes(VECTOR_MATH, 0, end4);
    lanes(SCALAR_MATH, end4, channels);
    f.set(xp, add(xp, mul(channels, 4)));
    f.set(yp, add(yp, mul(channels, 4)));
  });
  return f;
}

export function rowScaleProgram(): FunctionBuilder {
  const f = new FunctionBuilder('rowScale', [I32, I32, I32, I32, I32]);
  const [x, scale, y, cols, rows] = f.args;
  const [r, j, end4, xp, yp] = Array.from({ length: 5 }, () => f.local());
  const factorV = f.local(VECTOR_MATH.type);
  const factorS = f.local(SCALAR_MATH.type);
  const lanes = (m: MathLanes, factor: Local, from: Local | number, to: Local) => {
    f.for(j, from, to, m.width, () => {
      const offset = mul(j, 4);
      m.store(f, add(yp, offset), m.mul(m.load(add(xp, offset)), factor));
    });
  };
  f.set(end4, and(cols, ~3));
  f.set(xp, x);
  f.set(yp, y);
  f.for(r, 0, rows, 1, () => {
    f.set(factorS, SCALAR_MATH.load(add(scale, mul(r, 4))));
    f.set(factorV, splat(factorS));
    lanes(VECTOR_MATH, factorV, 0, end4);
    lanes(SCALAR_MATH, factorS, end4, cols);
    f.set(xp, add(xp, mul(cols, 4)));
    f.set(yp, add(yp, mul(cols, 4)));
  });
  return f;
}
