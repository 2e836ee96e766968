/**
 * The order in which NMS visits its candidates: scores strictly above the threshold (never NaN), best
 * first, equal scores by ascending index; or only the head of that order, which is all that hard NMS at
 * IoU 1 (nothing suppressed) keeps under a cap, as the demo's candidates are.
 */

/** Indices below this fit beside a float32 score's 32 bits in one exactly represented float64 key. */
const INDEX_LIMIT = 2 ** 21;

// Working arrays kept from call to call (the functions here are synchronous, so one set serves every
// call): a fresh typed array of a few hundred kilobytes costs its page faults on every call, which on the
// virtual machines measured took longer than the selection itself (about 0.5 ms per array).
let indexScratch = new Int32Array(0);
let keyScratch = new Float64Array(0);

function indexArray(size: number): Int32Array {
  if (indexScratch.length < size) indexScratch = new Int32Array(size);
  return indexScratch;
}

function keyArray(size: number): Float64Array {
  if (keyScratch.length < size) keyScratch = new Float64Array(size);
  return keyScratch.subarray(0, size);
}

/**
 * Indices of `scores` strictly above `scoreThreshold`, best first, ties by ascending index: all of them, or
 * only the first `limit` of that order (found without sorting the rest). Returns a new array of just those.
 */
export function sortedCandidates(scores: ArrayLike<number>, scoreThreshold: number, limit = Infinity): Int32Array {
  const candidates = indexArray(scores.length);
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
 * candidate becomes the float64 key `(descending rank of its float32 score's bits) * 2^21 + index`, exact
 * below 2^53, whose ascending order is best score first and then lower index. Under a `limit`, the keys
 * of the best `limit` are selected first and only they are sorted. Reorders `chosen` in place and returns
 * its head.
 */
function sortByKeys(chosen: Int32Array, scores: ArrayLike<number>, limit: number): Int32Array {
  const count = chosen.length;
  // The scores' float32 bits, read in place when they are a Float32Array already.
  const floats = scores instanceof Float32Array ? scores : Float32Array.from(scores);
  const bits = new Uint32Array(floats.buffer, floats.byteOffset, floats.length);
  const keys = keyArray(count);
  for (let k = 0; k < count; k++) {
    // -0 counts as +0, so the two zeros tie as they compare.
    const b = bits[chosen[k]] === 0x80000000 ? 0 : bits[chosen[k]];
    // IEEE bits as an unsigned number that grows with the value: flip all bits of negatives, the sign of the rest.
    const ascending = b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
    keys[k] = (0xffffffff - ascending) * INDEX_LIMIT + chosen[k];
  }
  // Keys are distinct (each holds its index), so the `limit` smallest are a well-defined set.
  const kept = Math.min(limit, count);
  if (kept > 0 && kept < count) selectSmallest(keys, kept);
  const best = keys.subarray(0, kept).sort();
  for (let k = 0; k < kept; k++) chosen[k] = best[k] % INDEX_LIMIT;
  return chosen.subarray(0, kept);
}

/**
 * Reorders `keys` so that its `count` smallest come first, in any order (quickselect, Hoare's partition
 * around the middle element: linear time on average, for the few thousand of a demo's 49k candidates).
 */
function selectSmallest(keys: Float64Array, count: number): void {
  let low = 0;
  let high = keys.length - 1;
  while (low < high) {
    const pivot = keys[(low + high) >>> 1];
    let i = low;
    let j = high;
    while (i <= j) {
      while (keys[i] < pivot) i++;
      while (keys[j] > pivot) j--;
      if (i <= j) {
        const swap = keys[i];
        keys[i++] = keys[j];
        keys[j--] = swap;
      }
    }
    // [low, j] <= pivot <= [i, high]; keep the part that holds position count - 1.
    if (count - 1 <= j) high = j;
    else if (count - 1 >= i) low = i;
    else return;
  }
}
