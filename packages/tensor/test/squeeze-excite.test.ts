import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { Conv2d, squeezeExcite, squeezeExciteGate } from '@edet/tensor';

import { relativeTolerance } from '../../../tooling/test/tolerance.js';

// The squeeze-and-excitation gate (`squeezeExciteGate`, `[N, C]`) and the gated map (`squeezeExcite`) on
// the active backend (fused kernels on wasm, composed ops elsewhere) against a float64 reference computed
// here from the layers' weights: the mean over the map, reduce + bias, swish, expand + bias, sigmoid.

function seeded(length: number, seed: number, scale = 1): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state / 4294967296) * 2 * scale - scale;
  });
}

function setWeights(conv: Conv2d, seed: number): void {
  tf.tidy(() => {
    conv.weight.assign(tf.tensor(seeded(conv.weight.size, seed, 0.7), conv.weight.shape));
    conv.bias?.assign(tf.tensor(seeded(conv.bias.size, seed + 1, 0.3), conv.bias.shape));
  });
}

/** Float64 gate `[n][channels]` of NHWC `x`. */
function referenceGate(x: Float32Array, [n, h, w, c]: number[], reduce: Conv2d, expand: Conv2d): number[][] {
  const [rw, rb, ew, eb] = [reduce.weight, reduce.bias, expand.weight, expand.bias].map((t) => (t as tf.Tensor).dataSync());
  const squeezed = reduce.outChannels;
  return Array.from({ length: n }, (_, b) => {
    const mean = Array.from({ length: c }, (_, ch) => {
      let sum = 0;
      for (let p = 0; p < h * w; p++) sum += x[(b * h * w + p) * c + ch];
      return sum / (h * w);
    });
    const hidden = Array.from({ length: squeezed }, (_, s) => {
      let z = rb[s];
      for (let ch = 0; ch < c; ch++) z += mean[ch] * rw[ch * squeezed + s];
      return z / (1 + Math.exp(-z));
    });
    return Array.from({ length: c }, (_, ch) => {
      let z = eb[ch];
      for (let s = 0; s < squeezed; s++) z += hidden[s] * ew[s * c + ch];
      return 1 / (1 + Math.exp(-z));
    });
  });
}

describe('squeezeExciteGate and squeezeExcite', () => {
  it('equal the float64 gate and gated map (2 images, 21 channels, 5 squeezed) and leak nothing', () => {
    const shape = [2, 6, 7, 21];
    const reduce = new Conv2d(21, 5, 1);
    const expand = new Conv2d(5, 21, 1);
    setWeights(reduce, 3);
    setWeights(expand, 5);
    const values = seeded(shape.reduce((a, b) => a * b, 1), 9, 2);
    const x = tf.tensor4d(values, shape as [number, number, number, number]);
    const gate = referenceGate(values, shape, reduce, expand);
    const start = tf.memory().numTensors;
    const gotGate = squeezeExciteGate(x, reduce, expand);
    const gotMap = squeezeExcite(x, reduce, expand);
    expect(gotGate.shape).toEqual([2, 21]);
    expect(gotMap.shape).toEqual(shape);
    const tolerance = relativeTolerance(1e-6, tf.getBackend());
    const gateValues = gotGate.dataSync();
    const mapValues = gotMap.dataSync();
    let worst = 0;
    gate.forEach((row, b) => row.forEach((g, c) => (worst = Math.max(worst, Math.abs(gateValues[b * 21 + c] - g)))));
    values.forEach((v, i) => {
      const b = Math.floor(i / (6 * 7 * 21));
      worst = Math.max(worst, Math.abs(mapValues[i] - v * gate[b][i % 21]) / (1 + Math.abs(v)));
    });
    expect(worst).toBeLessThan(tolerance);
    tf.dispose([gotGate, gotMap]);
    expect(tf.memory().numTensors).toBe(start);
    x.dispose();
    reduce.dispose();
    expand.dispose();
  });
});
