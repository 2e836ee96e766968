import * as tf from '@tensorflow/tfjs-core';
import { Sgd } from '@edet/tensor';
import { describe, expect, it } from 'vitest';

describe('Sgd', () => {
  it('applies momentum as PyTorch does, and round-trips its state', () => {
    const w = tf.variable(tf.tensor1d([1, 2]));
    const variables = new Map([['w', w]]);
    const sgd = new Sgd({ learningRate: 0.1, momentum: 0.9, weightDecay: 0 });
    const g = tf.tensor1d([1, -1]);
    sgd.applyGradients(variables, { w: g }); // buf = g; w = [0.9, 2.1]
    sgd.applyGradients(variables, { w: g }); // buf = 0.9 g + g = 1.9 g; w = [0.71, 2.29]
    const values = w.dataSync();
    expect(values[0]).toBeCloseTo(0.71, 6);
    expect(values[1]).toBeCloseTo(2.29, 6);
    const state = sgd.getState();
    expect(state.step).toBe(2);
    expect(Object.keys(state.tensors)).toEqual(['w/momentum']);
    const copy = new Sgd({ learningRate: 0.1, momentum: 0.9, weightDecay: 0 });
    copy.setState(state);
    tf.dispose(Object.values(state.tensors));
    const w2 = tf.variable(tf.tensor1d([0.71, 2.29]));
    copy.applyGradients(new Map([['w', w2]]), { w: g });
    sgd.applyGradients(variables, { w: g });
    expect(Array.from(w2.dataSync())).toEqual(Array.from(w.dataSync()));
    expect(copy.step).toBe(3);
    tf.dispose([w, w2, g]);
    sgd.dispose();
    copy.dispose();
  });
});
