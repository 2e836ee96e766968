import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { InvalidArgumentError } from '@edet/tensor';
import { AnchorState, focalLossNormalized, normalizeByPositives } from '@edet/losses';

import { expectClose, expectNoLeak, values } from './support/expect.js';
import { focal } from './support/float64.js';

// Two images, three anchors, two classes. Image 0: anchor 0 positive (class 1), anchor 1 negative, anchor 2
// ignored. Image 1: anchors 0 and 2 positive (classes 0 and 1), anchor 1 negative.
const LOGITS = [
  [[0.3, 1.2], [-0.5, 2.0], [4.0, -4.0]],
  [[-1.0, 0.1], [0.7, -2.5], [3.0, 0.25]],
];
const TARGETS = [
  [[0, 1], [0, 0], [0, 0]],
  [[1, 0], [0, 0], [0, 1]],
];
const STATE = [
  [AnchorState.positive, AnchorState.negative, AnchorState.ignored],
  [AnchorState.positive, AnchorState.negative, AnchorState.positive],
];

/** Summed float64 focal loss of one image, ignored anchors left out. */
function imageSum(image: number, gamma: number): number {
  let sum = 0;
  LOGITS[image].forEach((row, anchor) => {
    if (STATE[image][anchor] === AnchorState.ignored) return;
    row.forEach((x, c) => (sum += focal(x, TARGETS[image][anchor][c], 0.25, gamma)));
  });
  return sum;
}

function run(options: Parameters<typeof focalLossNormalized>[3]): number {
  const logits = tf.tensor3d(LOGITS);
  const targets = tf.tensor3d(TARGETS);
  const state = tf.tensor2d(STATE);
  const out = values(focalLossNormalized(logits, targets, state, options));
  tf.dispose([logits, targets, state]);
  return out[0];
}

describe('focalLossNormalized', () => {
  it('divides the batch sum by max(1, positives in the batch) by default (3 positives here)', () => {
    expectClose([run({})], [(imageSum(0, 2) + imageSum(1, 2)) / 3], 1e-5);
    expectClose([run({ gamma: 1.5 })], [(imageSum(0, 1.5) + imageSum(1, 1.5)) / 3], 1e-5);
  });

  it("divides by positives + 1 with 'batch-plus-one' (official automl)", () => {
    expectClose([run({ normalization: 'batch-plus-one' })], [(imageSum(0, 2) + imageSum(1, 2)) / 4], 1e-5);
  });

  it("averages per-image sums over per-image max(1, positives) with 'image' (zylo117)", () => {
    expectClose([run({ normalization: 'image' })], [(imageSum(0, 2) / 1 + imageSum(1, 2) / 2) / 2], 1e-5);
  });

  it('divides by 1, not 0, when the batch has no positive anchor', () => {
    const logits = tf.tensor3d([[[0.5], [-1]]]);
    const targets = tf.zeros([1, 2, 1]);
    const state = tf.tensor2d([[AnchorState.negative, AnchorState.negative]]);
    const expected = focal(0.5, 0, 0.25, 2) + focal(-1, 0, 0.25, 2);
    expectClose(values(focalLossNormalized(logits, targets, state)), [expected], 1e-5);
    expectClose(values(focalLossNormalized(logits, targets, state, { normalization: 'image' })), [expected], 1e-5);
    tf.dispose([logits, targets, state]);
  });

  it('gives ignored anchors zero gradient, and leaves no tensors behind', () => {
    const logits = tf.tensor3d(LOGITS);
    const targets = tf.tensor3d(TARGETS);
    const state = tf.tensor2d(STATE);
    expectNoLeak(() => {
      const grad = tf.grad((x: tf.Tensor) => focalLossNormalized(x, targets, state));
      const g = values(grad(logits));
      expect(g.slice(4, 6)).toEqual([0, 0]); // image 0, anchor 2
      expect(g.filter((value, i) => (i < 4 || i >= 6) && value === 0)).toEqual([]);
    });
    tf.dispose([logits, targets, state]);
  });

  it('rejects logits that are not [N, A, C] and an anchor state that does not match them', () => {
    const logits = tf.zeros([2, 3, 2]);
    expectNoLeak(() => {
      const cases: Array<() => unknown> = [
        () => focalLossNormalized(tf.zeros([6, 2]), tf.zeros([6, 2]), tf.zeros([2, 3])),
        () => focalLossNormalized(logits, tf.zeros([2, 3, 3]), tf.zeros([2, 3])),
        () => focalLossNormalized(logits, logits, tf.zeros([2, 4])),
        () => focalLossNormalized(logits, logits, tf.zeros([6])),
        () => focalLossNormalized(logits, logits, tf.zeros([2, 3]), { normalization: 'anchor' as never }),
      ];
      for (const bad of cases) tf.tidy(() => void expect(bad).toThrow(InvalidArgumentError));
    });
    logits.dispose();
  });
});

describe('normalizeByPositives', () => {
  it('scales the count by valuesPerPositive (box deltas: 4 per positive anchor)', () => {
    const loss = tf.tensor3d([[[1, 2, 3, 4], [5, 6, 7, 8]], [[0, 0, 0, 0], [1, 1, 1, 1]]]); // [2, 2, 4]
    const state = tf.tensor2d([[1, 1], [0, 1]]);
    expectNoLeak(() => {
      // 3 positives in the batch: 40 / (3 * 4).
      expectClose(values(normalizeByPositives(loss, state, { valuesPerPositive: 4 })), [40 / 12], 1e-6);
      // Official: 40 / ((3 + 1) * 4).
      const official = normalizeByPositives(loss, state, { valuesPerPositive: 4, normalization: 'batch-plus-one' });
      expectClose(values(official), [40 / 16], 1e-6);
      // Per image: (36 / 8 + 4 / 4) / 2.
      const perImage = normalizeByPositives(loss, state, { valuesPerPositive: 4, normalization: 'image' });
      expectClose(values(perImage), [(36 / 8 + 1) / 2], 1e-6);
    });
    expect(() => normalizeByPositives(loss, state, { valuesPerPositive: 0 })).toThrow(InvalidArgumentError);
    tf.dispose([loss, state]);
  });
});
