/**
 * The order in which NMS visits its candidates: scores strictly above the threshold (never NaN), best
 * first, equal scores by ascending index; or only the head of that order, which is all that hard NMS at
 * IoU 1 (nothing suppressed) keeps under a cap, as the demo's candidates are.
 */

import { ScratchArrays } from './scratch-arrays.js';

/** Indices below this fit beside a float32 score's 32 bits in one exactly represented float64 key. */
const INDEX_LIMIT = 2 ** 21;

// Working arrays kept from call to call (the functions here are synchronous, so one set serves every
// call): a fresh typed array of a few hundred kilobytes costs its page faults on every call, which on the
// virtual machines measured took longer than the selection itself (about 0.5 ms per array).
const scratch = new ScratchArrays();

/**
 * Indices of `scores` strictly above `scoreThreshold`, best first, ties by ascending index: all of them, or
 * only the first `limit` of that order (found without sorting the rest). Returns a new array of just those.
 */
export function sortedCandidates(scores: ArrayLike<number>, scoreThreshold: number, limit = Infinity): Int32Array {
  const candidates = scratch.int32('candidates', scores.length);
  let kept = 0;
  // Branch-free: scores near the threshold pass or fail at random, and a mispredicted branch per score
  // cost six times the loop (0.6 ms for D0's 49k anchors).
  for (let index = 0; index < scores.length; index++) {
    candidates[kept] = index;
    kept += scores[index] > scoreThreshold ? 1 : 0;
  }
  const chosen = candidates.subarray(0, kept);
  let float32 = scores instanceof Float32Array;
  if (!float32) float32 = chosen.every((index) => Math.fround(scores[index]) === scores[index]);
  if (float32 && scores.length <= INDEX_LIMIT) return sortByKeys(chosen, scores, limit).slice();
  // `|| i - j` makes the order total (equal or both-infinite scores), as a stable sort of ascending indices.
  return chosen.slice().sort((i, j) => scores[j] - scores[i] || i - j).subarray(0, Math.min(limit, kept));
}

/**
 * The same order through one native numeric sort instead of a comparator called from the sort: each
 * candidate's float32 score becomes a 32-bit rank (`scoreRank`: smaller is better), and its float64 key
 * `rank * 2^21 + index`, exact below 2^53, sorts best score first and then lower index. Under a `limit`,
 * the best `limit` are found first by their ranks (`selectBest`) and only they are sorted. Reorders
 * `chosen` in place and returns its head.
 */
function sortByKeys(chosen: Int32Array, scores: ArrayLike<number>, limit: number): Int32Array {
  // The scores' float32 bits, read in place when they are a Float32Array already.
  const floats = scores instanceof Float32Array ? scores : Float32Array.from(scores);
  const bits = new Uint32Array(floats.buffer, floats.byteOffset, floats.length);
  const ranks = scratch.uint32('ranks', chosen.length);
  for (let k = 0; k < chosen.length; k++) ranks[k] = scoreRank(bits[chosen[k]]);
  const kept = Math.min(limit, chosen.length);
  const taken = kept > 0 && kept < chosen.length ? selectBest(ranks, kept) : undefined;
  const keys = scratch.float64('keys', kept);
  for (let k = 0; k < kept; k++) {
    const at = taken === undefined ? k : taken[k];
    keys[k] = ranks[at] * INDEX_LIMIT + chosen[at];
  }
  keys.sort();
  for (let k = 0; k < kept; k++) chosen[k] = keys[k] % INDEX_LIMIT;
  return chosen.subarray(0, kept);
}

/**
 * A float32's bits as an unsigned 32-bit rank that falls as the value grows (0 for +Infinity), the two
 * zeros equal, as they compare.
 */
function scoreRank(bits: number): number {
  const b = bits === 0x80000000 ? 0 : bits;
  // IEEE bits as an unsigned number that grows with the value: flip all bits of negatives, the sign of the rest.
  const ascending = b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
  return 0xffffffff - ascending;
}

/**
 * Positions (into `ranks`) of the `count` smallest ranks, equal ranks at the cut taken by lower position
 * (so by lower anchor index, as `chosen` ascends), in position order; `0 < count < ranks.length`. A radix
 * selection: a histogram of the ranks' high 16 bits finds the bucket holding the cut, a histogram of the
 * low 16 bits within it the cut rank itself, and one branch-free pass takes everything below it and the
 * first ties at it. Linear and without data-dependent branches, where a quickselect over the 49k keys of
 * a D0 cost about 1 ms, most of it mispredicted comparisons.
 */
function selectBest(ranks: Uint32Array, count: number): Int32Array {
  // One count per value of 16 bits.
  const counts = scratch.uint32('buckets', 0x10000);
  counts.fill(0);
  for (let k = 0; k < ranks.length; k++) counts[ranks[k] >>> 16]++;
  let below = 0;
  let high = 0;
  while (below + counts[high] < count) below += counts[high++];
  counts.fill(0);
  for (let k = 0; k < ranks.length; k++) counts[ranks[k] & 0xffff] += ranks[k] >>> 16 === high ? 1 : 0;
  let low = 0;
  while (below + counts[low] < count) below += counts[low++];
  const cut = high * 0x10000 + low;
  let ties = count - below;
  const taken = scratch.int32('taken', count + 1);
  let n = 0;
  for (let k = 0; k < ranks.length; k++) {
    const atCut = ranks[k] === cut ? 1 : 0;
    const take = (ranks[k] < cut ? 1 : 0) | (atCut & (ties > 0 ? 1 : 0));
    ties -= atCut & take;
    taken[n] = k;
    n += take;
  }
  return taken;
}
