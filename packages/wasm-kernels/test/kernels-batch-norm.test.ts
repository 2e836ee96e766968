/**
 * The fused wasm kernels for training-mode batch norm (+ swish) and for swish: the SIMD exp on its own
 * against Math.exp, each kernel against a float64 reference, and the layers (which run the kernels on wasm)
 * against the same layers composed from tfjs ops on the cpu backend.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { fusedBatchNormTraining, swish } from '@edet/tensor';

import { isEdetKernel, registerWasmKernels } from '../src/index.js';
import * as asm from '../src/wasm/assembler.js';
import { type Expr, FunctionBuilder, I32, assembleModule } from '../src/wasm/assembler.js';
import { SCALAR_MATH, VECTOR_MATH } from '../src/wasm/simd-math.js';
import { randomValues } from './kernels-reference.js';
import { mapProgram, mapRunner } from './support/map-program.js';

const KERNELS = ['EdetBatchNormTrain', 'EdetBatchNormTrainGrad', 'EdetSwish', 'EdetSwishGrad'];

beforeAll(async () => {
  await tf.setBackend('wasm');
  registerWasmKernels();
});

/**
 * `|got - want| / max(1, |scale|)`, the worst over the elements (NaN counts as the worst); the scale is
 * `want` itself unless given.
 */
function maxError(got: ArrayLike<number>, want: ArrayLike<number>, scale: ArrayLike<number> = want): number {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(scale[i]));
    if (!(err <= worst)) worst = err;
  }
  return worst;
}

describe('assembler ops', () => {
  // Each op as a function `(a, b, dst)` of byte pointers: v128 (or f32) operands at a and b, the result at dst.
  type Operands = Float32Array | Int32Array;
  const F = (...values: number[]) => new Float32Array(values);
  const I = (...values: number[]) => new Int32Array(values);
  const a = F(1.5, -2.5, 9, 2.5);
  const b = F(-3, 0.5, 4, 2.5);
  const ia = I(7, -8, 1 << 20, -1);
  const ib = I(3, 5, -6, 2);
  const r = (x: number) => Math.fround(x);
  const vectorCases: [string, (x: Expr, y: Expr) => Expr, Operands, Operands, Operands][] = [
    ['vsub', asm.vsub, a, b, F(4.5, -3, 5, 0)],
    ['vdiv', asm.vdiv, a, b, F(-0.5, -5, 2.25, 1)],
    ['vmin', asm.vmin, F(1, NaN, -1, 2), F(2, 1, -2, NaN), F(1, NaN, -2, NaN)],
    ['vmax', asm.vmax, F(1, NaN, -1, 2), F(2, 1, -2, NaN), F(2, NaN, -1, NaN)],
    ['vpmin', asm.vpmin, F(1, NaN, -1, 2), F(2, 1, -2, NaN), F(1, NaN, -2, 2)],
    ['vpmax', asm.vpmax, F(1, NaN, -1, 2), F(2, 1, -2, NaN), F(2, NaN, -1, 2)],
    ['vabs', (x) => asm.vabs(x), a, b, F(1.5, 2.5, 9, 2.5)],
    ['vneg', (x) => asm.vneg(x), a, b, F(-1.5, 2.5, -9, -2.5)],
    ['vsqrt', (x) => asm.vsqrt(x), F(2, 9, -1, 0.25), b, F(r(Math.SQRT2), 3, NaN, 0.5)],
    ['vfloor', (x) => asm.vfloor(x), a, b, F(1, -3, 9, 2)],
    ['vnearest', (x) => asm.vnearest(x), a, b, F(2, -2, 9, 2)],
    ['vlt', asm.vlt, a, b, I(0, -1, 0, 0)],
    ['vgt', asm.vgt, a, b, I(-1, 0, -1, 0)],
    ['i32x4Add', asm.i32x4Add, ia, ib, I(10, -3, (1 << 20) - 6, 1)],
    ['i32x4Sub', asm.i32x4Sub, ia, ib, I(4, -13, (1 << 20) + 6, -3)],
    ['i32x4Shl', (x) => asm.i32x4Shl(x, 3), ia, ib, I(56, -64, 1 << 23, -8)],
    ['i32x4ShrS', (x) => asm.i32x4ShrS(x, 2), ia, ib, I(1, -2, 1 << 18, -1)],
    ['i32x4TruncSatF32x4', (x) => asm.i32x4TruncSatF32x4(x), F(1.9, -1.9, NaN, 3e9), b, I(1, -1, 0, 2147483647)],
    ['f32x4ConvertI32x4', (x) => asm.f32x4ConvertI32x4(x), ia, ib, F(7, -8, 1 << 20, -1)],
    ['vbitselect', (x, y) => asm.vbitselect(x, y, asm.iconst4(-65536)), ia, ib, I(3, 0xffff0005 | 0, (1 << 20) | 0xfffa, 0xffff0002 | 0)],
    ['vconst', () => asm.vconst(2.5), a, b, F(2.5, 2.5, 2.5, 2.5)],
    ['isplat4', () => asm.isplat4(-7), a, b, I(-7, -7, -7, -7)],
  ];
  // Scalar ops, lane by lane.
  const f32Cases: [string, (x: Expr, y: Expr) => Expr, Float32Array, Float32Array, Operands][] = [
    ['fsub', asm.fsub, a, b, F(4.5, -3, 5, 0)],
    ['fdiv', asm.fdiv, a, b, F(-0.5, -5, 2.25, 1)],
    ['fmin', asm.fmin, F(1, NaN, -1, 2), F(2, 1, -2, NaN), F(1, NaN, -2, NaN)],
    ['fmax', asm.fmax, F(1, NaN, -1, 2), F(2, 1, -2, NaN), F(2, NaN, -1, NaN)],
    ['fabs', (x) => asm.fabs(x), a, b, F(1.5, 2.5, 9, 2.5)],
    ['fneg', (x) => asm.fneg(x), a, b, F(-1.5, 2.5, -9, -2.5)],
    ['fsqrt', (x) => asm.fsqrt(x), F(2, 9, -1, 0.25), b, F(r(Math.SQRT2), 3, NaN, 0.5)],
    ['fnearest', (x) => asm.fnearest(x), a, b, F(2, -2, 9, 2)],
    // Integer ops through the bit casts: i32 in, i32 out.
    ['shl', (x) => asm.f32ReinterpretI32(asm.shl(asm.i32ReinterpretF32(x), 3)), new Float32Array(ia.buffer), b, I(56, -64, 1 << 23, -8)],
    ['shrS', (x) => asm.f32ReinterpretI32(asm.shrS(asm.i32ReinterpretF32(x), 2)), new Float32Array(ia.buffer), b, I(1, -2, 1 << 18, -1)],
    ['i32TruncSatF32', (x) => asm.f32ReinterpretI32(asm.i32TruncSatF32(x)), F(1.9, -1.9, NaN, -3e9), b, I(1, -1, 0, -2147483648)],
    ['f32ConvertI32', (x) => asm.f32ConvertI32(asm.i32ReinterpretF32(x)), new Float32Array(ia.buffer), b, F(7, -8, 1 << 20, -1)],
  ];
  const programs = [
    ...vectorCases.map(([name, op]) => {
      const f = new FunctionBuilder(name, [I32, I32, I32]);
      const [x, y, dst] = f.args;
      f.storeV128(dst, op(asm.loadV128(x), asm.loadV128(y)));
      return f;
    }),
    ...f32Cases.map(([name, op]) => {
      const f = new FunctionBuilder(name, [I32, I32, I32]);
      const [x, y, dst] = f.args;
      f.storeF32(dst, op(asm.loadF32(x), asm.loadF32(y)));
      return f;
    }),
  ];
  const memory = new WebAssembly.Memory({ initial: 1 });
  const exports = new WebAssembly.Instance(new WebAssembly.Module(assembleModule(programs, false)), { env: { memory } }).exports;
  // Operands at bytes 0 and 16, the result at 32; `calls` 1 for a v128 op, 4 for an f32 op (one per lane).
  function run(name: string, x: Operands, y: Operands, calls: 1 | 4): Uint8Array {
    const bytes = new Uint8Array(memory.buffer);
    bytes.set(new Uint8Array(x.buffer), 0);
    bytes.set(new Uint8Array(y.buffer), 16);
    const fn = exports[name] as (...args: number[]) => void;
    for (let lane = 0; lane < calls; lane++) fn(4 * lane, 16 + 4 * lane, 32 + 4 * lane);
    return bytes.slice(32, 48);
  }

  // Integer results compare as integers, float ones as floats (NaN equal to NaN, whatever its sign bit).
  const view = (bytes: Uint8Array, like: Operands) => (like instanceof Int32Array ? new Int32Array(bytes.buffer) : new Float32Array(bytes.buffer));

  it.each(vectorCases)('%s', (name, _, x, y, want) => {
    expect(view(run(name, x, y, 1), want)).toEqual(want);
  });

  it.each(f32Cases)('%s (scalar, lane by lane)', (name, _, x, y, want) => {
    expect(view(run(name, x, y, 4), want)).toEqual(want);
  });
});

describe('SIMD exp', () => {
  // A test module of its own: `name(src, dst, count)` maps `count` floats through exp or sigmoid, 4 wide
  // (count a multiple of 4) or 1 wide.
  const run = mapRunner(
    [
      mapProgram('expVector', VECTOR_MATH, (math, x) => math.exp(x)),
      mapProgram('expScalar', SCALAR_MATH, (math, x) => math.exp(x)),
      mapProgram('sigmoidVector', VECTOR_MATH, (math, x) => math.sigmoid(x)),
      mapProgram('sigmoidScalar', SCALAR_MATH, (math, x) => math.sigmoid(x)),
    ],
    16,
  );

  // A dense sweep over the whole float32 range of e^x and beyond, plus the edges.
  const points: number[] = [0, -0, 1, -1, 88, -88, 88.5, 88.7, -87.3, -100, -103, -103.9, 1e4, -1e4, 1e-30, -1e-30, 1e-7, -1e-7, 89, -104, -120, 500, -500];
  for (let x = -110; x <= 90; x += 0.0137) points.push(x);
  for (let x = -0.5; x <= 0.5; x += 1e-4) points.push(x);
  const xs = new Float32Array(points.length - (points.length % 4)); // the vector program takes whole quads
  xs.set(points.slice(0, xs.length));

  const FLT_MIN = 2 ** -126;
  const DENORMAL_ULP = 2 ** -149;

  it('is within 2e-7 relative of Math.exp for normal results, 1 ulp in the denormals, Infinity / 0 beyond', () => {
    const got = run('expVector', xs);
    let worstRelative = 0;
    for (let i = 0; i < xs.length; i++) {
      const want = Math.exp(xs[i]);
      const rounded = Math.fround(want);
      if (rounded === Infinity) expect(got[i], `exp(${xs[i]})`).toBe(Infinity);
      else if (rounded < FLT_MIN) expect(Math.abs(got[i] - want), `exp(${xs[i]})`).toBeLessThanOrEqual(DENORMAL_ULP);
      else worstRelative = Math.max(worstRelative, Math.abs(got[i] - want) / want);
    }
    expect(worstRelative).toBeLessThan(2e-7);
  });

  it('gives the same bits 4 wide and 1 wide, and NaN for NaN', () => {
    expect(run('expScalar', xs)).toEqual(run('expVector', xs));
    const special = new Float32Array([NaN, Infinity, -Infinity, 0]);
    expect(Array.from(run('expVector', special))).toEqual([NaN, Infinity, 0, 1]);
    expect(Array.from(run('expScalar', special))).toEqual([NaN, Infinity, 0, 1]);
  });

  it('makes a sigmoid with the same bits 4 wide and 1 wide: 1 from x = 17 up, 0 from x = -88.4 down, NaN for NaN', () => {
    expect(run('sigmoidScalar', xs)).toEqual(run('sigmoidVector', xs));
    const special = new Float32Array([NaN, Infinity, -Infinity, 0, 17, 90, -88.4, -88.3, -87, -1e30, 1e30, -0]);
    const got = Array.from(run('sigmoidVector', special));
    expect(got.slice(0, 4)).toEqual([NaN, 1, 0, 0.5]);
    expect(got.slice(4, 6)).toEqual([1, 1]);
    // From -88.4, e^-x is taken as +Infinity: 0 where the exact value is below 6e-39.
    expect(got[6]).toBe(0);
    expect(got[7]).toBeGreaterThan(0);
    expect(Math.abs(got[7] - 1 / (1 + Math.exp(88.3)))).toBeLessThan(1e-43); // a denormal, to 10 of its units
    expect(Math.abs(got[8] - 1 / (1 + Math.exp(87))) / (1 / (1 + Math.exp(87)))).toBeLessThan(3e-7 + 8e-8 * 87);
    expect(got.slice(9)).toEqual([0, 1, 0.5]);
  });

  it('makes a sigmoid within 3e-7 + 8e-8 |x| relative of the exact value where that is a normal float', () => {
    const got = run('sigmoidVector', xs);
    let worst = 0;
    for (let i = 0; i < xs.length; i++) {
      const want = 1 / (1 + Math.exp(-xs[i]));
      if (want >= FLT_MIN) worst = Math.max(worst, Math.abs(got[i] - want) / want / (3e-7 + 8e-8 * Math.abs(xs[i])));
    }
    expect(worst).toBeGreaterThan(0.1);
    expect(worst).toBeLessThan(1);
  });

  it('makes a sigmoid that stays in [0, 1] with no NaN for any finite or infinite input', () => {
    const inputs = new Float32Array([...xs, 1e4, -1e4, 3.4e38, -3.4e38, Infinity, -Infinity, 0, 0]);
    for (const name of ['sigmoidVector', 'sigmoidScalar']) {
      const got = run(name, inputs);
      const outside = Array.from(inputs).filter((x, i) => !(got[i] >= 0 && got[i] <= 1));
      expect(outside, name).toEqual([]);
      const want = Array.from(inputs, (x) => 1 / (1 + Math.exp(-x)));
      expect(maxError(got, want), name).toBeLessThan(2e-7);
    }
  });
});

// ---- float64 references ----

interface Case {
  shape: number[];
  activation: 'none' | 'swish';
}

function reference(c: Case, x: Float32Array, gamma: Float32Array, beta: Float32Array, dy: Float32Array, eps: number) {
  const channels = c.shape[c.shape.length - 1];
  const rows = x.length / channels;
  const mean = new Float64Array(channels);
  const variance = new Float64Array(channels);
  for (let i = 0; i < x.length; i++) mean[i % channels] += x[i] / rows;
  for (let i = 0; i < x.length; i++) variance[i % channels] += (x[i] - mean[i % channels]) ** 2 / rows;
  const invStd = variance.map((v) => 1 / Math.sqrt(v + eps));
  const y = new Float64Array(x.length);
  const dz = new Float64Array(x.length);
  const xHat = new Float64Array(x.length);
  const dBeta = new Float64Array(channels);
  const dGamma = new Float64Array(channels);
  // Sums of the terms' magnitudes: the scale of the rounding error of a float32 sum.
  const dBetaScale = new Float64Array(channels);
  const dGammaScale = new Float64Array(channels);
  for (let i = 0; i < x.length; i++) {
    const ch = i % channels;
    xHat[i] = (x[i] - mean[ch]) * invStd[ch];
    const z = xHat[i] * gamma[ch] + beta[ch];
    const sig = 1 / (1 + Math.exp(-z));
    y[i] = c.activation === 'swish' ? z * sig : z;
    dz[i] = c.activation === 'swish' ? dy[i] * sig * (1 + z * (1 - sig)) : dy[i];
    dBeta[ch] += dz[i];
    dGamma[ch] += dz[i] * xHat[i];
    dBetaScale[ch] += Math.abs(dz[i]);
    dGammaScale[ch] += Math.abs(dz[i] * xHat[i]);
  }
  const dx = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const ch = i % channels;
    dx[i] = gamma[ch] * invStd[ch] * (dz[i] - dBeta[ch] / rows - (xHat[i] * dGamma[ch]) / rows);
  }
  return { values: { y, mean, variance, invStd, dx, dGamma, dBeta }, scales: { dGamma: dGammaScale, dBeta: dBetaScale } };
}

/** Seeded data with a per-channel offset and scale, so the centring matters. */
function caseData(c: Case, seed: number) {
  const channels = c.shape[c.shape.length - 1];
  const x = randomValues(c.shape, seed).values;
  for (let i = 0; i < x.length; i++) x[i] = x[i] * (1 + (i % channels) % 3) + ((i % channels) % 5) - 2;
  const gamma = randomValues([channels], seed + 1).values.map((v) => v + 0.5 * Math.sign(v));
  const beta = randomValues([channels], seed + 2).values;
  const dy = randomValues(c.shape, seed + 3).values;
  return { x, gamma, beta, dy };
}

const SHAPES = [
  [1, 7, 9, 1],
  [2, 5, 3, 3],
  [1, 3, 5, 4],
  [2, 7, 7, 5],
  [1, 9, 11, 32],
  [2, 5, 13, 96],
  [1, 33, 31, 96],
  [2, 3, 7, 1152],
];
const CASES: Case[] = SHAPES.flatMap((shape) => (['none', 'swish'] as const).map((activation) => ({ shape, activation })));
const EPS = 1e-3;
// float32 kernels against float64: per-element error |got - want| / max(1, |want|), and for the
// per-channel sums dGamma and dBeta, relative to the sum of the terms' magnitudes (a sum near zero of
// large terms cannot be closer). Measured worst: 1.6e-6 elementwise, 8e-7 on the sums.
const TOLERANCE = 2e-5;
const SUM_TOLERANCE = 5e-6;

describe('EdetBatchNormTrain / EdetBatchNormTrainGrad match a float64 reference', () => {
  it('registers our kernels on wasm', () => {
    for (const name of KERNELS) expect(isEdetKernel(name, 'wasm'), name).toBe(true);
  });

  it.each(CASES.map((c) => [`${c.shape} ${c.activation}`, c] as const))('%s', (_, c) => {
    const data = caseData(c, c.shape.reduce((a, b) => a * b, 7));
    const { values: want, scales } = reference(c, data.x, data.gamma, data.beta, data.dy, EPS);
    const start = tf.memory().numTensors;
    const got = tf.tidy(() => {
      const x = tf.tensor(data.x, c.shape);
      const gamma = tf.tensor1d(data.gamma);
      const beta = tf.tensor1d(data.beta);
      const [y, mean, variance, invStd] = tf.engine().runKernel('EdetBatchNormTrain', { x, gamma, beta }, { eps: EPS, activation: c.activation }) as tf.Tensor[];
      const [dx, dGamma, dBeta] = tf.engine().runKernel(
        'EdetBatchNormTrainGrad',
        { dy: tf.tensor(data.dy, c.shape), x, gamma, beta, mean, invStd },
        { activation: c.activation },
      ) as tf.Tensor[];
      return Object.fromEntries(Object.entries({ y, mean, variance, invStd, dx, dGamma, dBeta }).map(([k, t]) => [k, t.dataSync() as Float32Array]));
    });
    expect(tf.memory().numTensors).toBe(start);
    for (const [k, values] of Object.entries(want)) {
      const scale = scales[k as keyof typeof scales];
      const err = maxError(got[k], values, scale);
      expect(err, `${k}: ${err}`).toBeLessThan(scale === undefined ? TOLERANCE : SUM_TOLERANCE);
    }
  });
});

describe('EdetSwish / EdetSwishGrad match a float64 reference', () => {
  it.each([[1], [2], [3], [4], [7], [1030]])('%i elements, including far tails', (count) => {
    const xs = randomValues([count], count).values.map((v) => v * 12);
    const extremes = [1e4, -1e4, 88, -88, -100, 0];
    for (let i = 0; i < Math.min(count, extremes.length) && count > 4; i++) xs[i] = extremes[i];
    const dy = randomValues([count], count + 1).values;
    const start = tf.memory().numTensors;
    const [y, dx] = tf.tidy(() => {
      const x = tf.tensor1d(xs);
      const value = tf.engine().runKernel('EdetSwish', { x }) as tf.Tensor;
      const grad = tf.engine().runKernel('EdetSwishGrad', { dy: tf.tensor1d(dy), x }) as tf.Tensor;
      return [value.dataSync(), grad.dataSync()];
    });
    expect(tf.memory().numTensors).toBe(start);
    const sig = Array.from(xs, (x) => 1 / (1 + Math.exp(-x)));
    expect(maxError(y, Array.from(xs, (x, i) => x * sig[i]))).toBeLessThan(TOLERANCE);
    expect(maxError(dx, Array.from(xs, (x, i) => dy[i] * sig[i] * (1 + x * (1 - sig[i]))))).toBeLessThan(TOLERANCE);
  });
});

describe('the layers on wasm (fused kernels) match the composed ops on cpu', () => {
  // Values and gradients of sum(layer(x) * dy) for x, gamma, beta; plus the batch statistics.
  function run(c: Case, seed: number) {
    const data = caseData(c, seed);
    return tf.tidy(() => {
      const x = tf.tensor(data.x, c.shape);
      const gamma = tf.tensor1d(data.gamma);
      const beta = tf.tensor1d(data.beta);
      const dy = tf.tensor(data.dy, c.shape);
      let mean: Float32Array = new Float32Array();
      let variance: Float32Array = new Float32Array();
      const loss = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const { y, statistics } = fusedBatchNormTraining(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, EPS, c.activation);
        mean = statistics.mean.dataSync() as Float32Array;
        variance = statistics.variance.dataSync() as Float32Array;
        tf.dispose([statistics.mean, statistics.variance]);
        return tf.sum(tf.mul(y, dy));
      };
      const { value, grads } = tf.valueAndGrads(loss)([x, gamma, beta]);
      const swishGrad = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(swish(a), dy)))(x);
      return {
        value: value.dataSync(),
        mean,
        variance,
        dx: grads[0].dataSync(),
        dGamma: grads[1].dataSync(),
        dBeta: grads[2].dataSync(),
        swish: swish(x).dataSync(),
        swishGrad: swishGrad.dataSync(),
      };
    });
  }

  it.each([
    [[2, 5, 7, 3], 'swish'],
    [[1, 9, 11, 32], 'none'],
    [[2, 5, 13, 96], 'swish'],
  ] as const)('%j %s', async (shape, activation) => {
    const c: Case = { shape: [...shape], activation };
    const start = tf.memory().numTensors;
    const { result: got, kernelNames } = await tf.profile(() => run(c, 11) as unknown as tf.TensorContainer);
    expect(tf.memory().numTensors).toBe(start);
    for (const name of KERNELS) expect(kernelNames, 'the layers ran the fused kernels').toContain(name);
    await tf.setBackend('cpu');
    let want: ReturnType<typeof run>;
    try {
      want = run(c, 11);
    } finally {
      await tf.setBackend('wasm');
    }
    const results = got as unknown as typeof want;
    for (const key of Object.keys(want) as (keyof typeof want)[]) {
      const err = maxError(results[key], want[key]);
      expect(err, `${key}: ${err}`).toBeLessThan(TOLERANCE);
    }
  });
});
