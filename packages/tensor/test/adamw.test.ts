import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { ADAMW_UPDATE_KERNEL, AdamW } from '@edet/tensor';

describe('AdamW', () => {
  it('matches a hand-computed first and second step, with decoupled weight decay', () => {
    const w = tf.variable(tf.tensor1d([1, -2]));
    const optimizer = new AdamW({ learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.5 });
    const g = tf.tensor1d([0.5, -1]);
    optimizer.applyGradients(new Map([['w', w]]), { w: g });
    // Step 1: m_hat = g, v_hat = g^2, so the Adam step is lr * sign(g); decay subtracts lr * 0.5 * w.
    const after1 = Array.from(w.dataSync());
    expect(after1[0]).toBeCloseTo(1 - 0.1 - 0.1 * 0.5 * 1, 5);
    expect(after1[1]).toBeCloseTo(-2 + 0.1 - 0.1 * 0.5 * -2, 5);
    optimizer.applyGradients(new Map([['w', w]]), { w: g });
    // Step 2 with the same gradient: bias-corrected moments are again g and g^2.
    const after2 = Array.from(w.dataSync());
    expect(after2[0]).toBeCloseTo(after1[0] - 0.1 - 0.1 * 0.5 * after1[0], 5);
    tf.dispose([w, g]);
    optimizer.dispose();
  });

  it('keeps exactly two moment tensors per variable, and frees them on dispose', () => {
    const start = tf.memory().numTensors;
    const variables = new Map([['a', tf.tidy(() => tf.variable(tf.ones([3])))], ['b', tf.tidy(() => tf.variable(tf.ones([2, 2])))]]);
    const gradients = { a: tf.ones([3]), b: tf.ones([2, 2]) };
    const optimizer = new AdamW({ decayFilter: (name) => name !== 'b' });
    optimizer.applyGradients(variables, gradients);
    optimizer.applyGradients(variables, gradients);
    expect(tf.memory().numTensors).toBe(start + 4 + 2 * 2);
    const state = optimizer.getState();
    expect(state.step).toBe(2);
    expect(Object.keys(state.tensors).sort()).toEqual(['a/m', 'a/v', 'b/m', 'b/v']);
    tf.dispose(Object.values(state.tensors));
    optimizer.dispose();
    tf.dispose([...variables.values(), ...Object.values(gradients)]);
    expect(tf.memory().numTensors).toBe(start);
  });

  it('follows a float64 reference over several steps, with and without decay (fused kernel on wasm, ops elsewhere)', () => {
    if (tf.getBackend() === 'wasm') expect(tf.getKernel(ADAMW_UPDATE_KERNEL, 'wasm')).toBeDefined();
    const size = 1031; // not a multiple of 4 or 8
    const init = Array.from({ length: size }, (_, i) => Math.sin(i) * 2);
    const gradientsAt = (step: number) => Array.from({ length: size }, (_, i) => Math.cos(i * 0.37 + step) * (i % 7 === 0 ? 1e-6 : 0.5));
    const options = { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1 };
    const variables = new Map([
      ['decayed', tf.variable(tf.tensor1d(init))],
      ['kept', tf.variable(tf.tensor1d(init))],
    ]);
    const optimizer = new AdamW({ ...options, decayFilter: (name) => name === 'decayed' });
    // Reference: textbook AdamW in float64 (bias-corrected moments, decoupled decay on the old weight).
    const reference = { decayed: [...init], kept: [...init] };
    const m = new Float64Array(size);
    const v = new Float64Array(size);
    for (let step = 1; step <= 4; step++) {
      const g = gradientsAt(step);
      const gradient = tf.tensor1d(g);
      optimizer.applyGradients(variables, { decayed: gradient, kept: gradient });
      gradient.dispose();
      for (let i = 0; i < size; i++) {
        m[i] = 0.9 * m[i] + 0.1 * g[i];
        v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
        const mHat = m[i] / (1 - 0.9 ** step);
        const vHat = v[i] / (1 - 0.999 ** step);
        for (const name of ['decayed', 'kept'] as const) {
          const w = reference[name][i];
          reference[name][i] = w - (0.01 * mHat) / (Math.sqrt(vHat) + 1e-8) - (name === 'decayed' ? 0.01 * 0.1 * w : 0);
        }
      }
    }
    for (const name of ['decayed', 'kept'] as const) {
      const actual = variables.get(name)!.dataSync();
      // float32 storage of weights and moments: about 1e-7 relative per step.
      for (let i = 0; i < size; i++) expect(Math.abs(actual[i] - reference[name][i])).toBeLessThan(2e-6 * Math.max(1, Math.abs(reference[name][i])));
    }
    optimizer.dispose();
    tf.dispose([...variables.values()]);
  });
});
