/**
 * How the inference benchmark reads a pass's outputs back: into arrays made on the first pass and reused by
 * every later one (new ones only where a size changes), holding the values `data()` gives; and with no
 * tensor left behind.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { OutputBuffers, benchmarkSubject, timeForward } from '../src/bench/subject.js';

describe('the benchmark read-back', () => {
  it('gives the same arrays while the sizes stay, new ones where a size changes', () => {
    const buffers = new OutputBuffers();
    const [a, b] = [tf.zeros([2, 3]), tf.zeros([5])];
    const first = buffers.for([a, b]);
    expect(first.map((array) => array.length)).toEqual([6, 5]);
    expect(buffers.for([a, b])).toEqual(first);
    const again = buffers.for([a, b]);
    expect(again[0]).toBe(first[0]);
    expect(again[1]).toBe(first[1]);
    const c = tf.zeros([7]);
    const changed = buffers.for([a, c]);
    expect(changed[0]).toBe(first[0]);
    expect(changed[1]).not.toBe(first[1]);
    expect(changed[1].length).toBe(7);
    tf.dispose([a, b, c]);
  });

  it('reads every output of a forward pass into the subject arrays, pass after pass', async () => {
    const subject = benchmarkSubject({ coef: 0, size: 64, batch: 1, runs: 1, warmup: 0 });
    try {
      // The first pass folds the batch norms into cached weights; the second is counted.
      await timeForward(subject.model, subject.input, subject.outputs);
      const before = tf.memory().numTensors;
      await timeForward(subject.model, subject.input, subject.outputs);
      expect(tf.memory().numTensors).toBe(before);
      const outputs = tf.tidy(() => subject.model.forward(subject.input));
      const arrays = subject.outputs.for(outputs);
      const want = outputs.map((output) => Array.from(output.dataSync()));
      tf.dispose(outputs);
      // The last timed pass left its values in the arrays `for` hands back unchanged.
      expect(arrays.map((array) => Array.from(array))).toEqual(want);
      expect(arrays.map((array) => array.length)).toEqual(want.map((values) => values.length));
    } finally {
      subject.input.dispose();
      subject.model.dispose();
    }
  });
});
