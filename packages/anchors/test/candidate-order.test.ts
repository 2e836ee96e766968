import { describe, expect, it } from 'vitest';

import { rng } from '../../tensor/test/gradients-check.js';
import { sortedCandidates } from '../src/candidate-order.js';

// NMS visits its candidates best first, equal scores by ascending index; float32 scores (what
// `postprocess` passes) go through one numeric sort of packed keys, other numbers through a comparator.
// Both must give the order written the obvious way.

function expected(scores: ArrayLike<number>, threshold: number): number[] {
  const indices = Array.from({ length: scores.length }, (_, index) => index).filter((index) => scores[index] > threshold);
  return indices.sort((i, j) => (scores[i] > scores[j] ? -1 : scores[i] < scores[j] ? 1 : i - j));
}

describe('sortedCandidates', () => {
  const next = rng(3);
  // Few distinct values (ties), both zeros, infinities, NaN, negatives and tiny ones.
  const specials = [0, -0, Infinity, -Infinity, Number.NaN, 1e-40, -1e-40, 3.4e38, -3.4e38];
  const values = Array.from({ length: 3000 }, () => (next() < 0.2 ? specials[Math.floor(next() * specials.length)] : Math.fround(Math.floor(next() * 30) / 7 - 2)));

  it.each([-Infinity, -1, 0, 0.5])('orders float32 scores above %s as the comparator does', (threshold) => {
    const float32 = Float32Array.from(values);
    expect(Array.from(sortedCandidates(float32, threshold))).toEqual(expected(float32, threshold));
    // Plain arrays of float32 values take the same path.
    expect(Array.from(sortedCandidates(Array.from(float32), threshold))).toEqual(expected(float32, threshold));
  });

  it('orders other numbers (not float32) with the comparator', () => {
    const float64 = Float64Array.from(values, (value, index) => (index % 3 === 0 ? value + 1e-9 : value));
    expect(Array.from(sortedCandidates(float64, -Infinity))).toEqual(expected(float64, -Infinity));
  });

  it('keeps only the first `limit` of that order, for any limit', () => {
    const float32 = Float32Array.from(values);
    const float64 = Float64Array.from(values, (value, index) => (index % 3 === 0 ? value + 1e-9 : value));
    for (const scores of [float32, float64]) {
      const all = expected(scores, -1);
      for (const limit of [0, 1, 2, 7, 100, all.length - 1, all.length, all.length + 1, Infinity]) {
        expect(Array.from(sortedCandidates(scores, -1, limit))).toEqual(all.slice(0, limit));
      }
    }
    // Many equal scores around the cut: the lower indices are kept.
    const ties = new Float32Array(50_000).fill(0.5);
    expect(Array.from(sortedCandidates(ties, 0, 5000))).toEqual(Array.from({ length: 5000 }, (_, index) => index));
  });

  it('cuts a narrow band of scores exactly, ties at the cut by lower index', () => {
    // An untrained head's scores: ~49k values within 1e-4 of 0.01 (one bucket of the ranks' high 16 bits,
    // so the cut falls in their low bits), every value repeated a few times so that ties straddle the cut.
    const band = Float32Array.from({ length: 49_104 }, () => 0.0099 + Math.floor(next() * 12_000) * 1.7e-8);
    const all = expected(band, 0.0099);
    for (const limit of [1, 4999, 5000, 5001, 30_000, all.length - 1]) {
      expect(Array.from(sortedCandidates(band, 0.0099, limit))).toEqual(all.slice(0, limit));
    }
  });

  it('takes no scores and single ones', () => {
    expect(Array.from(sortedCandidates(new Float32Array(0), -Infinity))).toEqual([]);
    expect(Array.from(sortedCandidates(new Float32Array([Number.NaN]), -Infinity))).toEqual([]);
    expect(Array.from(sortedCandidates(new Float32Array([-0]), -Infinity))).toEqual([0]);
  });
});
