import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';

import { type Activation, BatchNorm2d, Conv2d, DepthwiseConv2d, type ConvPadding } from '@edet/tensor';

import { relativeTolerance } from '../../../tooling/test/tolerance.js';

// A batch norm folded into the convolution before it (`BatchNorm2d.forwardConv` in inference mode) against a
// float64 reference computed here from the layers' own weights: convolution with TF SAME or symmetric
// padding, inference batch norm, then the activation, with and without a gate on the input and a residual on
// the output. Also: the folded weights follow weight changes, live in a cache that `train()` and `dispose()`
// free, and stay out of the way of gradients.

/** Mean-zero-ish seeded values, so the reference does not share any code with the layers. */
function seeded(length: number, seed: number, scale = 1, offset = 0): Float64Array {
  let state = seed >>> 0;
  return Float64Array.from({ length }, () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale + offset;
  });
}

interface Geometry {
  n: number;
  h: number;
  w: number;
  inChannels: number;
  outChannels: number;
  k: number;
  stride: number;
  padding: ConvPadding;
  depthwise: boolean;
}

/** Float64 `act(bn(conv(x)))` in NHWC from the layers' current weights (read back as float32 values). */
function reference(g: Geometry, x: Float64Array, conv: Conv2d | DepthwiseConv2d, bn: BatchNorm2d, activation?: Activation): Float64Array {
  const filter = conv.weight.dataSync();
  const convBias = conv.bias?.dataSync();
  const [gamma, beta, mean, variance] = [bn.weight, bn.bias, bn.runningMean, bn.runningVar].map((v) => v.dataSync());
  // TF SAME: total padding max((out - 1) * stride + k - size, 0), the smaller half before; symmetric: k // 2.
  const outSize = (size: number) => (g.padding === 'same' ? Math.ceil(size / g.stride) : Math.floor((size + 2 * Math.floor(g.k / 2) - g.k) / g.stride) + 1);
  const before = (size: number, out: number) =>
    g.padding === 'same' ? Math.floor(Math.max((out - 1) * g.stride + g.k - size, 0) / 2) : Math.floor(g.k / 2);
  const [oh, ow] = [outSize(g.h), outSize(g.w)];
  const [top, left] = [before(g.h, oh), before(g.w, ow)];
  const out = new Float64Array(g.n * oh * ow * g.outChannels);
  for (let b = 0; b < g.n; b++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        for (let o = 0; o < g.outChannels; o++) {
          let sum = convBias ? convBias[o] : 0;
          for (let di = 0; di < g.k; di++) {
            const y = i * g.stride + di - top;
            if (y < 0 || y >= g.h) continue;
            for (let dj = 0; dj < g.k; dj++) {
              const xw = j * g.stride + dj - left;
              if (xw < 0 || xw >= g.w) continue;
              const pixel = ((b * g.h + y) * g.w + xw) * g.inChannels;
              if (g.depthwise) {
                sum += x[pixel + o] * filter[(di * g.k + dj) * g.inChannels + o];
              } else {
                for (let c = 0; c < g.inChannels; c++) sum += x[pixel + c] * filter[((di * g.k + dj) * g.inChannels + c) * g.outChannels + o];
              }
            }
          }
          let z = ((sum - mean[o]) / Math.sqrt(variance[o] + bn.eps)) * gamma[o] + beta[o];
          if (activation === 'swish') z = z / (1 + Math.exp(-z));
          if (activation === 'relu6') z = Math.min(Math.max(z, 0), 6);
          out[((b * oh + i) * ow + j) * g.outChannels + o] = z;
        }
      }
    }
  }
  return out;
}

/** A conv and its batch norm with seeded, non-trivial weights and running statistics. */
function layers(g: Geometry, convBias: boolean, seed: number): { conv: Conv2d | DepthwiseConv2d; bn: BatchNorm2d } {
  const conv = g.depthwise
    ? new DepthwiseConv2d(g.inChannels, g.k, { stride: g.stride, bias: convBias, padding: g.padding })
    : new Conv2d(g.inChannels, g.outChannels, g.k, { stride: g.stride, bias: convBias, padding: g.padding });
  const bn = new BatchNorm2d(g.outChannels, 1e-3);
  const c = g.outChannels;
  const assign = (v: tf.Variable, values: Float64Array) => {
    const value = tf.tensor(Float32Array.from(values), v.shape);
    v.assign(value);
    value.dispose();
  };
  assign(conv.weight, seeded(conv.weight.size, seed, 0.5));
  if (conv.bias) assign(conv.bias, seeded(c, seed + 1, 0.3));
  assign(bn.weight, seeded(c, seed + 2, 0.8, 1));
  assign(bn.bias, seeded(c, seed + 3, 0.5));
  assign(bn.runningMean, seeded(c, seed + 4, 0.4));
  // Variances from 1e-3 to 2: some scales well above 1.
  assign(bn.runningVar, seeded(c, seed + 5, 1, 1).map((v) => Math.max(v, 1e-3)));
  return { conv, bn };
}

function maxRelativeError(actual: ArrayLike<number>, expected: Float64Array): number {
  let worst = 0;
  expected.forEach((value, i) => (worst = Math.max(worst, Math.abs(actual[i] - value) / (1 + Math.abs(value)))));
  return worst;
}

const GEOMETRIES: [string, Geometry][] = [
  ['3x3 stride 2 same', { n: 2, h: 7, w: 6, inChannels: 3, outChannels: 5, k: 3, stride: 2, padding: 'same', depthwise: false }],
  ['1x1 stride 1', { n: 1, h: 5, w: 4, inChannels: 6, outChannels: 3, k: 1, stride: 1, padding: 'same', depthwise: false }],
  ['3x3 symmetric', { n: 1, h: 5, w: 5, inChannels: 2, outChannels: 4, k: 3, stride: 1, padding: 'symmetric', depthwise: false }],
  ['depthwise 3x3 stride 1', { n: 2, h: 6, w: 5, inChannels: 4, outChannels: 4, k: 3, stride: 1, padding: 'same', depthwise: true }],
  ['depthwise 5x5 stride 2', { n: 1, h: 9, w: 8, inChannels: 3, outChannels: 3, k: 5, stride: 2, padding: 'same', depthwise: true }],
];

describe('BatchNorm2d.forwardConv (folded in inference mode)', () => {
  const owned: { dispose(): void }[] = [];
  afterEach(() => {
    for (const item of owned.splice(0)) item.dispose();
  });

  const tolerance = () => relativeTolerance(1e-5, tf.getBackend());

  describe.each(GEOMETRIES)('%s', (_name, g) => {
    it.each([[undefined], ['swish'], ['relu6']] as const)('equals the float64 conv, norm and activation (%s), with and without a conv bias', (activation) => {
      for (const convBias of [false, true]) {
        const { conv, bn } = layers(g, convBias, 11);
        owned.push(conv, bn);
        const values = seeded(g.n * g.h * g.w * g.inChannels, 5, 3);
        const x = tf.tensor4d(Float32Array.from(values), [g.n, g.h, g.w, g.inChannels]);
        const expected = reference(g, Float32Array.from(values) as unknown as Float64Array, conv, bn, activation);
        const folded = bn.forwardConv(conv, x, activation);
        expect(bn.cachedTensorCount()).toBe(2);
        bn.foldInInference = false;
        const unfolded = bn.forwardConv(conv, x, activation);
        expect(folded.shape).toEqual(unfolded.shape);
        expect(maxRelativeError(folded.dataSync(), expected)).toBeLessThan(tolerance());
        expect(maxRelativeError(unfolded.dataSync(), expected)).toBeLessThan(tolerance());
        tf.dispose([x, folded, unfolded]);
      }
    });
  });

  describe.each(GEOMETRIES)('%s, with a gate on the input and a residual on the output', (_name, g) => {
    it.each([[undefined], ['swish']] as const)('equals the float64 reference (%s), folded and not, and leaks nothing', (activation) => {
      const { conv, bn } = layers(g, true, 13);
      owned.push(conv, bn);
      const values = Float32Array.from(seeded(g.n * g.h * g.w * g.inChannels, 6, 3));
      const scales = Float32Array.from(seeded(g.n * g.inChannels, 7, 1, 0.5));
      const x = tf.tensor4d(values, [g.n, g.h, g.w, g.inChannels]);
      const inputScale = tf.tensor2d(scales, [g.n, g.inChannels]);
      // The input as the gate leaves it, per image and channel, in float64.
      const gated = Float64Array.from(values, (v, i) => v * scales[Math.floor(i / (g.h * g.w * g.inChannels)) * g.inChannels + (i % g.inChannels)]);
      const plain = reference(g, gated, conv, bn, activation);
      const residualValues = Float32Array.from(seeded(plain.length, 8, 2));
      const expected = plain.map((v, i) => v + residualValues[i]);
      const start = tf.memory().numTensors;
      const probe = bn.forwardConv(conv, x, activation);
      const residual = tf.tensor4d(residualValues, probe.shape as [number, number, number, number]);
      probe.dispose();
      const folded = bn.forwardConv(conv, x, activation, { inputScale, residual });
      bn.foldInInference = false;
      const unfolded = bn.forwardConv(conv, x, activation, { inputScale, residual });
      expect(maxRelativeError(folded.dataSync(), expected)).toBeLessThan(tolerance());
      expect(maxRelativeError(unfolded.dataSync(), expected)).toBeLessThan(tolerance());
      tf.dispose([folded, unfolded, residual]);
      // The folded weights stay cached (2 tensors) until the layers are disposed.
      expect(tf.memory().numTensors).toBe(start + 2);
      tf.dispose([x, inputScale]);
    });
  });

  it('follows every weight it came from: conv weight and bias, gamma, beta, running mean and variance, loadStateDict', () => {
    const g = GEOMETRIES[0][1];
    const { conv, bn } = layers(g, true, 21);
    owned.push(conv, bn);
    const values = seeded(g.n * g.h * g.w * g.inChannels, 9, 2);
    const x = tf.tensor4d(Float32Array.from(values), [g.n, g.h, g.w, g.inChannels]);
    const asFloat64 = Float32Array.from(values) as unknown as Float64Array;
    const check = () => {
      const y = bn.forwardConv(conv, x, 'swish');
      expect(maxRelativeError(y.dataSync(), reference(g, asFloat64, conv, bn, 'swish'))).toBeLessThan(tolerance());
      y.dispose();
    };
    check();
    const start = tf.memory().numTensors;
    const changes: (() => void)[] = [
      () => conv.weight.assign(tf.mul(conv.weight, -0.5)),
      () => (conv.bias as tf.Variable).assign(tf.add(conv.bias as tf.Variable, 1)),
      () => bn.weight.assign(tf.mul(bn.weight, 2)),
      () => bn.bias.assign(tf.sub(bn.bias, 0.25)),
      () => bn.runningMean.assign(tf.add(bn.runningMean, 0.5)),
      () => bn.runningVar.assign(tf.mul(bn.runningVar, 3)),
      () => {
        const state = bn.stateDict();
        const negated = tf.neg(state.running_mean);
        bn.loadStateDict({ ...state, running_mean: negated });
        tf.dispose([...Object.values(state), negated]);
      },
    ];
    for (const change of changes) {
      tf.tidy(change);
      check();
      // The stale folded weights are freed as the new ones are built.
      expect(tf.memory().numTensors).toBe(start);
    }
    x.dispose();
  });

  it('keeps its folded weights between passes; train() and dispose() free them', () => {
    const g = GEOMETRIES[1][1];
    const x = tf.randomNormal([g.n, g.h, g.w, g.inChannels], 0, 1, 'float32', 3) as tf.Tensor4D;
    const start = tf.memory().numTensors;
    const { conv, bn } = layers(g, false, 31);
    const withLayers = tf.memory().numTensors;
    tf.dispose(bn.forwardConv(conv, x, 'swish'));
    expect(bn.cachedTensorCount()).toBe(2);
    expect(tf.memory().numTensors).toBe(withLayers + 2);
    tf.dispose(bn.forwardConv(conv, x, 'swish'));
    expect(tf.memory().numTensors).toBe(withLayers + 2);
    bn.train();
    expect(bn.cachedTensorCount()).toBe(0);
    expect(tf.memory().numTensors).toBe(withLayers);
    bn.eval();
    tf.dispose(bn.forwardConv(conv, x));
    expect(bn.cachedTensorCount()).toBe(2);
    bn.dispose();
    conv.dispose();
    expect(tf.memory().numTensors).toBe(start);
    x.dispose();
  });

  it('under gradient recording runs unfolded: the conv weight and the norm get their gradients', () => {
    const g = GEOMETRIES[0][1];
    const { conv, bn } = layers(g, true, 41);
    owned.push(conv, bn);
    const x = tf.randomNormal([g.n, g.h, g.w, g.inChannels], 0, 1, 'float32', 4) as tf.Tensor4D;
    const loss = () => tf.sum(tf.square(bn.forwardConv(conv, x, 'swish'))) as tf.Scalar;
    const { grads } = tf.variableGrads(loss, [conv.weight, bn.weight, bn.bias]);
    bn.foldInInference = false;
    const { grads: expected } = tf.variableGrads(loss, [conv.weight, bn.weight, bn.bias]);
    expect(bn.cachedTensorCount()).toBe(0);
    for (const name of Object.keys(expected)) {
      const [got, want] = [grads[name].dataSync(), expected[name].dataSync()];
      expect(Math.max(...want.map(Math.abs)), name).toBeGreaterThan(0);
      expect(maxRelativeError(got, Float64Array.from(want)), name).toBe(0);
    }
    tf.dispose([x, ...Object.values(grads), ...Object.values(expected)]);
  });
});
