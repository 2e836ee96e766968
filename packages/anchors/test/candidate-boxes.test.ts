import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { clipBoxes, decodeBoxes } from '@edet/anchors';

import { rng } from '../../tensor/test/gradients-check.js';
import { candidateBoxes, candidateRows } from '../src/candidate-boxes.js';

// `postprocess` decodes and clips its candidates in JavaScript from rows gathered on the backend; the boxes
// must be bit for bit those of `clipBoxes(decodeBoxes(...))` on the same backend (the suite's, wasm by
// default; EDET_TEST_BACKEND=cpu for cpu), whatever the deltas and anchors.

/** Each value's bits the same (NaN matching NaN), as a list of the positions that differ. */
function differences(got: ArrayLike<number>, want: ArrayLike<number>): string[] {
  const out: string[] = [];
  for (let i = 0; i < want.length; i++) {
    const same = Number.isNaN(want[i]) ? Number.isNaN(got[i]) : Object.is(got[i], want[i]);
    if (!same) out.push(`[${i}] ${got[i]} want ${want[i]}`);
  }
  return out;
}

function compare(deltaValues: Float32Array, anchorValues: Float32Array, imageSize: [number, number]): string[] {
  const count = deltaValues.length / 4;
  const deltas = tf.tensor2d(deltaValues, [count, 4]);
  const anchors = tf.tensor2d(anchorValues, [count, 4]);
  const before = tf.memory().numTensors;
  const rows = tf.tidy(() => candidateRows(deltas, anchors));
  const got = candidateBoxes(rows.dataSync() as Float32Array, imageSize);
  rows.dispose();
  const want = tf.tidy(() => clipBoxes(decodeBoxes(deltas, anchors), imageSize).dataSync());
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose([deltas, anchors]);
  expect(got).toHaveLength(count * 4);
  return differences(got, want);
}

describe('candidateBoxes from candidateRows', () => {
  it('equals clipBoxes(decodeBoxes) bit for bit on random boxes of every size', () => {
    const next = rng(5);
    // 1001 rows (not a multiple of 4 or 8), anchors of 1-600 px anywhere in and around a 512 x 384 frame.
    const count = 1001;
    const anchorValues = new Float32Array(count * 4);
    for (let row = 0; row < count; row++) {
      const [y, x, height, width] = [next() * 600 - 40, next() * 700 - 40, 1 + next() * 600, 1 + next() * 600];
      anchorValues.set([y - height / 2, x - width / 2, y + height / 2, x + width / 2], row * 4);
    }
    const deltaValues = Float32Array.from({ length: count * 4 }, () => (next() - 0.5) * 6);
    expect(compare(deltaValues, anchorValues, [384, 512])).toEqual([]);
  });

  it('equals them at the edges: huge exponents, NaN, infinities, empty anchors, zeros', () => {
    const deltaValues = new Float32Array([
      0, 0, 0, 0,
      0, 0, 100, -100,
      1e30, -1e30, 89, 88,
      Number.NaN, 0, 0, 0,
      0, 0, Number.NaN, 0,
      Infinity, 0, 0, -Infinity,
      -0, -0, -0, -0,
      0.5, -0.5, 0.25, -0.25,
    ]);
    const anchorValues = new Float32Array([
      0, 0, 10, 10,
      5, 5, 5, 5,
      -8, -8, 8, 8,
      0, 0, 10, 10,
      0, 0, 10, 10,
      0, 0, 0, 0,
      -4, -6, 4, 6,
      1e-30, 3e38, 2e-30, 3.4e38,
    ]);
    expect(compare(deltaValues, anchorValues, [7, 9])).toEqual([]);
  });

  it('reads int32 deltas and anchors as float32', () => {
    const rows = tf.tidy(() => candidateRows(tf.tensor2d([0, 0, 0, 0], [1, 4], 'int32'), tf.tensor2d([2, 4, 6, 10], [1, 4], 'int32')));
    expect(rows.dtype).toBe('float32');
    expect(Array.from(candidateBoxes(rows.dataSync() as Float32Array, [100, 100]))).toEqual([4, 2, 10, 6]);
    rows.dispose();
  });
});
