import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { AdamW } from '@edet/tensor';

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
});
