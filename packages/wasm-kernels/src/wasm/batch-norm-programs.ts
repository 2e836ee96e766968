import { type Expr, type Local, F32, FunctionBuilder, I32, add, and, min, mul } from './assembler.js';
import { type MathLanes, LaneMath, SCALAR_MATH, VECTOR_MATH } from './simd-math.js';

/**
 * SIMD programs for training-mode batch norm (optionally followed by swish) over a float32
 * `[rows, channels]` array: NHWC with N, H and W flattened into rows, statistics per channel. Pointers are
 * byte offsets; per-channel arrays are `[channels]`.
 *
 * Every pass reads and writes the big arrays in memory order, one row after another, 4 channels at a time
 * and the 0-3 left over one at a time; per-channel values are loaded from their (L1-resident) arrays as
 * they are needed. Walking a column down the rows instead (as `reduceMiddle` does) keeps them in registers,
 * but with a store stream beside the loads it ran up to 3x slower: at a row stride such as 384 or 256
 * bytes, a load every few rows lands 4 KiB from a pending store and waits for it (4K aliasing).
 *
 * Per-channel sums go into a scratch array for `BLOCK` rows at a time, then into the total: short running
 * sums lose less float32 precision than one sum over every row.
 */

export type Activation = 'none' | 'swish';

const BLOCK = 64;

/** The element the row walk is at. */
interface Step {
  m: MathLanes;
  /** Byte offset of the element's channel in a row: the element of a per-channel array is at `array + channel`. */
  channel: Local;
}

/** Per-row-block hooks of `walkRows`. */
interface Blocks {
  start(): void;
  end(): void;
}

/**
 * Emits a walk over `[rows, channels]` in memory order, `body` once per 4 channels of a row and once per
 * channel left over (so twice: once per lane width). Each `[ptr, array]` pair's `ptr` is at the current
 * element of its `[rows, channels]` `array`. With `blocks`, its hooks are emitted around every `BLOCK` rows.
 */
function walkRows(
  f: FunctionBuilder,
  rows: Local,
  channels: Local,
  pointers: [Local, Local][],
  body: (s: Step) => void,
  blocks?: Blocks,
): void {
  const rowBytes = f.local();
  const vectorBytes = f.local();
  const row = f.local();
  const rowStart = f.local();
  const rowEnd = f.local();
  const channel = f.local();
  f.set(rowBytes, mul(channels, 4));
  f.set(vectorBytes, and(rowBytes, ~15));
  for (const [ptr, array] of pointers) f.set(ptr, array);
  const step = (m: MathLanes) => {
    body({ m, channel });
    for (const [ptr] of pointers) f.set(ptr, add(ptr, 4 * m.width));
  };
  const rowLoop = (start: Expr | Local, end: Expr | Local) =>
    f.for(row, start, end, 1, () => {
      f.for(channel, 0, vectorBytes, 16, () => step(VECTOR_MATH));
      f.for(channel, vectorBytes, rowBytes, 4, () => step(SCALAR_MATH));
    });
  if (blocks === undefined) {
    rowLoop(0, rows);
    return;
  }
  f.for(rowStart, 0, rows, BLOCK, () => {
    f.set(rowEnd, min(add(rowStart, BLOCK), rows));
    blocks.start();
    rowLoop(rowStart, rowEnd);
    blocks.end();
  });
}

/** Emits `body` once per 4 channels and once per channel left over, with `channel` in bytes. */
function eachChannel(f: FunctionBuilder, channels: Local, body: (m: MathLanes, channel: Local) => void): void {
  const rowBytes = f.local();
  const vectorBytes = f.local();
  const channel = f.local();
  f.set(rowBytes, mul(channels, 4));
  f.set(vectorBytes, and(rowBytes, ~15));
  f.for(channel, 0, vectorBytes, 16, () => body(VECTOR_MATH, channel));
  f.for(channel, vectorBytes, rowBytes, 4, () => body(SCALAR_MATH, channel));
}

/** `array[c] = 0` for every channel. */
function zeroChannels(f: FunctionBuilder, channels: Local, ...arrays: Local[]): void {
  eachChannel(f, channels, (m, channel) => {
    for (const array of arrays) m.store(f, add(array, channel), m.zero);
  });
}

/** `total[c] += partial[c]` for every channel and every `[total, partial]` pair. */
function addChannels(f: FunctionBuilder, channels: Local, pairs: [Local, Local][]): void {
  eachChannel(f, channels, (m, channel) => {
    for (const [total, partial] of pairs) {
      m.store(f, add(total, channel), m.add(m.load(add(total, channel)), m.load(add(partial, channel))));
    }
  });
}

/** `sum[channel] += value` (a per-channel accumulator in memory). */
function accumulate(f: FunctionBuilder, s: Step, sum: Local, value: Expr | Local): void {
  const at = add(sum, s.channel);
  s.m.store(f, at, s.m.add(s.m.load(at), value));
}

/** The element of the per-channel `array` at the walk's channel. */
function perChannel(s: Step, array: Local): Expr {
  return s.m.load(add(array, s.channel));
}

/** The math of both lane widths, with its constants set up once at the start of the function. */
function laneMaths(f: FunctionBuilder): (m: MathLanes) => LaneMath {
  const vector = new LaneMath(f, VECTOR_MATH);
  const scalar = new LaneMath(f, SCALAR_MATH);
  return (m) => (m.width === 4 ? vector : scalar);
}

/**
 * `batchNormVariance(x, mean, variance, scratch, rows, channels, scale)`:
 * `variance[c] = scale * sum_r (x[r, c] - mean[c])^2`, with `scratch` `[channels]` of working space.
 * Two-pass (centred) form: `E[x^2] - E[x]^2` loses the variance to cancellation when the mean is large
 * against the spread.
 */
export function batchNormVarianceProgram(): FunctionBuilder {
  const f = new FunctionBuilder('batchNormVariance', [I32, I32, I32, I32, I32, I32, F32]);
  const [x, mean, variance, scratch, rows, channels, scale] = f.args;
  const xPtr = f.local();
  const centred = { 4: f.local(VECTOR_MATH.type), 1: f.local(SCALAR_MATH.type) };
  zeroChannels(f, channels, variance);
  const blocks = { start: () => zeroChannels(f, channels, scratch), end: () => addChannels(f, channels, [[variance, scratch]]) };
  walkRows(
    f,
    rows,
    channels,
    [[xPtr, x]],
    (s) => {
      const d = centred[s.m.width];
      f.set(d, s.m.sub(s.m.load(xPtr), perChannel(s, mean)));
      accumulate(f, s, scratch, s.m.mul(d, d));
    },
    blocks,
  );
  eachChannel(f, channels, (m, channel) => m.store(f, add(variance, channel), m.mul(m.load(add(variance, channel)), m.broadcast(scale))));
  return f;
}

/**
 * `batchNormApplyNone` / `batchNormApplySwish(x, mean, invStd, gamma, beta, y, rows, channels)`:
 * `y = act((x - mean) * (invStd * gamma) + beta)`, act the identity or swish.
 */
export function batchNormApplyProgram(activation: Activation): FunctionBuilder {
  const name = activation === 'swish' ? 'batchNormApplySwish' : 'batchNormApplyNone';
  const f = new FunctionBuilder(name, [I32, I32, I32, I32, I32, I32, I32, I32]);
  const [x, mean, invStd, gamma, beta, y, rows, channels] = f.args;
  const xPtr = f.local();
  const yPtr = f.local();
  const maths = activation === 'swish' ? laneMaths(f) : undefined;
  const z = { 4: f.local(VECTOR_MATH.type), 1: f.local(SCALAR_MATH.type) };
  walkRows(f, rows, channels, [[xPtr, x], [yPtr, y]], (s) => {
    const { m } = s;
    const scale = m.mul(perChannel(s, invStd), perChannel(s, gamma));
    f.set(z[m.width], m.add(m.mul(m.sub(m.load(xPtr), perChannel(s, mean)), scale), perChannel(s, beta)));
    m.store(f, yPtr, maths ? maths(m).swish(z[m.width]) : z[m.width]);
  });
  return f;
}

/**
 * `batchNormGradReduceNone` / `batchNormGradReduceSwish(dy, x, mean, invStd, gamma, beta, dz, sumDz,
 * sumDzXHat, scratch, rows, channels)`, the first backward pass: with `xHat = (x - mean) * invStd` and
 * `dz` the gradient at the batch norm's output before the activation, `sumDz[c] = sum_r dz` and
 * `sumDzXHat[c] = sum_r dz * xHat` (the beta and gamma gradients); `scratch` is `[2, channels]` of working
 * space. The swish variant recomputes `z = xHat * gamma + beta` and writes `dz = dy * swish'(z)` to `dz`;
 * without an activation `dz` is `dy`, and `gamma`, `beta` and `dz` are not touched.
 */
export function batchNormGradReduceProgram(activation: Activation): FunctionBuilder {
  const name = activation === 'swish' ? 'batchNormGradReduceSwish' : 'batchNormGradReduceNone';
  const f = new FunctionBuilder(name, Array.from({ length: 12 }, () => I32));
  const [dy, x, mean, invStd, gamma, beta, dz, sumDz, sumDzXHat, scratch, rows, channels] = f.args;
  const dyPtr = f.local();
  const xPtr = f.local();
  const dzPtr = f.local();
  const partialDzXHat = f.local();
  f.set(partialDzXHat, add(scratch, mul(channels, 4)));
  const maths = activation === 'swish' ? laneMaths(f) : undefined;
  const local = () => ({ 4: f.local(VECTOR_MATH.type), 1: f.local(SCALAR_MATH.type) });
  const [xHat, z, grad] = [local(), local(), local()];
  zeroChannels(f, channels, sumDz, sumDzXHat);
  const blocks = {
    start: () => zeroChannels(f, channels, scratch, partialDzXHat),
    end: () => addChannels(f, channels, [[sumDz, scratch], [sumDzXHat, partialDzXHat]]),
  };
  const pointers: [Local, Local][] = [[dyPtr, dy], [xPtr, x]];
  if (maths) pointers.push([dzPtr, dz]);
  walkRows(
    f,
    rows,
    channels,
    pointers,
    (s) => {
      const { m } = s;
      const w = m.width;
      f.set(xHat[w], m.mul(m.sub(m.load(xPtr), perChannel(s, mean)), perChannel(s, invStd)));
      if (maths) {
        f.set(z[w], m.add(m.mul(xHat[w], perChannel(s, gamma)), perChannel(s, beta)));
        f.set(grad[w], m.mul(m.load(dyPtr), maths(m).swishDerivative(z[w])));
        m.store(f, dzPtr, grad[w]);
      } else {
        f.set(grad[w], m.load(dyPtr));
      }
      accumulate(f, s, scratch, grad[w]);
      accumulate(f, s, partialDzXHat, m.mul(grad[w], xHat[w]));
    },
    blocks,
  );
  return f;
}

/**
 * `batchNormGradApply(dz, x, mean, invStd, gamma, sumDz, sumDzXHat, dx, rows, channels, invRows)`, the
 * second backward pass: `dx = gamma * invStd * (dz - mean(dz) - xHat * mean(dz * xHat))` with the means
 * `sum * invRows`. `dx` may be `dz` itself (updated in place).
 */
export function batchNormGradApplyProgram(): FunctionBuilder {
  const f = new FunctionBuilder('batchNormGradApply', [...Array.from({ length: 10 }, () => I32), F32]);
  const [dz, x, mean, invStd, gamma, sumDz, sumDzXHat, dx, rows, channels, invRows] = f.args;
  const dzPtr = f.local();
  const xPtr = f.local();
  const dxPtr = f.local();
  const s = { 4: f.local(VECTOR_MATH.type), 1: f.local(SCALAR_MATH.type) };
  const invRowsLanes = { 4: f.local(VECTOR_MATH.type), 1: invRows };
  f.set(invRowsLanes[4], VECTOR_MATH.broadcast(invRows));
  walkRows(f, rows, channels, [[dzPtr, dz], [xPtr, x], [dxPtr, dx]], (step) => {
    const { m } = step;
    const w = m.width;
    f.set(s[w], perChannel(step, invStd));
    const xHat = m.mul(m.sub(m.load(xPtr), perChannel(step, mean)), s[w]);
    const meanDz = m.mul(perChannel(step, sumDz), invRowsLanes[w]);
    const meanDzXHat = m.mul(perChannel(step, sumDzXHat), invRowsLanes[w]);
    const scale = m.mul(perChannel(step, gamma), s[w]);
    m.store(f, dxPtr, m.mul(scale, m.sub(m.sub(m.load(dzPtr), meanDz), m.mul(xHat, meanDzXHat))));
  });
  return f;
}
