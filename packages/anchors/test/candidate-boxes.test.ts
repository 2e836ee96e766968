import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { clipBoxes, decodeBoxes } from '@edet/anchors';

import { rng } from '../../tensor/test/gradients-check.js';
import { candidateBoxes, readCandidateSource } from '../src/candidate-boxes.js';
import { ScratchArrays } from '../src/scratch-arrays.js';

// `postprocess` decodes and clips its candidates in JavaScript from the deltas, their exponentials (taken on
// the backend) and the anchors; the boxes must be bit for bit those of `clipBoxes(decodeBoxes(...))` on the
// same backend (the suite's, wasm by default; EDET_TEST_BACKEND=cpu for cpu), whatever the deltas and
// anchors, for any choice of candidates.

/** Each value's bits the same (NaN matching NaN), as a list of the positions that differ. */
function differences(got: ArrayLike<number>, want: ArrayLike<number>): string[] {
  const out: string[] = [];
  for (let i = 0; i < want.length; i++) {
    const same = Number.isNaN(want[i]) ? Number.isNaN(got[i]) : Object.is(got[i], want[i]);
    if (!same) out.push(`[${i}] ${got[i]} want ${want[i]}`);
  }
  return out;
}

async function compare(deltaValues: Float32Array, anchorValues: Float32Array, imageSize: [number, number]): Promise<string[]> {
  const count = deltaValues.length / 4;
  const deltas = tf.tensor3d(deltaValues, [1, count, 4]);
  const anchors = tf.tensor2d(anchorValues, [count, 4]);
  const before = tf.memory().numTensors;
  // Every candidate, in reverse, then every third: any subset decodes as the whole does.
  const all = Int32Array.from({ length: count }, (_, k) => count - 1 - k);
  const got = candidateBoxes(await readCandidateSource(deltas, anchors, all, new ScratchArrays()), all, imageSize);
  const thirds = Int32Array.from({ length: Math.ceil(count / 3) }, (_, k) => 3 * k);
  const thirdBoxes = candidateBoxes(await readCandidateSource(deltas, anchors, thirds, new ScratchArrays()), thirds, imageSize);
  const want = tf.tidy(() => clipBoxes(decodeBoxes(tf.reshape(deltas, [count, 4]), anchors), imageSize).dataSync());
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose([deltas, anchors]);
  expect(got).toHaveLength(count * 4);
  const reversed = Float32Array.from({ length: count * 4 }, (_, i) => want[4 * (count - 1 - Math.floor(i / 4)) + (i % 4)]);
  const everyThird = Float32Array.from({ length: thirds.length * 4 }, (_, i) => want[4 * thirds[Math.floor(i / 4)] + (i % 4)]);
  return [...differences(got, reversed), ...differences(thirdBoxes, everyThird)];
}

describe('candidateBoxes from readCandidateSource', () => {
  it('equals clipBoxes(decodeBoxes) bit for bit on random boxes of every size', async () => {
    const next = rng(5);
    // 1001 rows (not a multiple of 4 or 8), anchors of 1-600 px anywhere in and around a 512 x 384 frame.
    const count = 1001;
    const anchorValues = new Float32Array(count * 4);
    for (let row = 0; row < count; row++) {
      const [y, x, height, width] = [next() * 600 - 40, next() * 700 - 40, 1 + next() * 600, 1 + next() * 600];
      anchorValues.set([y - height / 2, x - width / 2, y + height / 2, x + width / 2], row * 4);
    }
    const deltaValues = Float32Array.from({ length: count * 4 }, () => (next() - 0.5) * 6);
    expect(await compare(deltaValues, anchorValues, [384, 512])).toEqual([]);
  });

  it('equals them at the edges: huge exponents, NaN, infinities, empty anchors, zeros', async () => {
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
    expect(await compare(deltaValues, anchorValues, [7, 9])).toEqual([]);
  });

  it('reads int32 deltas and anchors as float32, and each anchors tensor once', async () => {
    const anchors = tf.tensor2d([2, 4, 6, 10, 0, 0, 8, 8], [2, 4], 'int32');
    const deltas = tf.tensor3d([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [2, 2, 4], 'int32');
    const before = tf.memory().numTensors;
    const chosen = Int32Array.from([0, 3]);
    const first = await readCandidateSource(deltas, anchors, chosen, new ScratchArrays());
    expect(Array.from(candidateBoxes(first, chosen, [100, 100]))).toEqual([4, 2, 10, 6, 0, 0, 8, 8]);
    const second = await readCandidateSource(deltas, anchors, new Int32Array(0), new ScratchArrays());
    expect(second.anchors).toBe(first.anchors);
    expect(second.anchorCount).toBe(2);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([anchors, deltas]);
  });
});
