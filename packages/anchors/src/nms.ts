import { InvalidArgumentError, describeValue } from '@edet/tensor';

import { sortedCandidates } from './candidate-order.js';
import { KeptGrid } from './kept-grid.js';
import { checkNmsOptions } from './options-check.js';

/**
 * How overlapping boxes are suppressed:
 * - `per-class`: greedy hard NMS within each class (torchvision `batched_nms`); the zylo117 default.
 * - `agnostic`: greedy hard NMS over all boxes, whatever their class.
 * - `soft`: Gaussian soft-NMS within each class; overlapping boxes are down-weighted, not removed.
 */
export type NmsMode = 'per-class' | 'agnostic' | 'soft';

/** Options of `nms`, checked by `checkNmsOptions` (a bad one is an `InvalidArgumentError` naming it). */
export interface NmsOptions {
  /** Default `per-class`. Without `classes`, every box is in one class, so `per-class` acts as `agnostic`. */
  mode?: NmsMode;
  /** Hard NMS suppresses a box whose IoU with a kept box of its class is strictly greater. Default 0.2. */
  iouThreshold?: number;
  /** Only boxes with score strictly greater are kept (soft-NMS applies it after every decay). Default -Infinity. */
  scoreThreshold?: number;
  /** Soft-NMS: each kept box multiplies the others' scores by `exp(-iou^2 / sigma)`. Default 0.5. */
  softNmsSigma?: number;
  /** Keep at most this many boxes, the best ones, after suppression. Default Infinity. */
  maxDetections?: number;
}

/** Survivors of `nms`, best first (descending score; ties keep the lower index first). */
export interface NmsResult {
  /** Indices into the input boxes. */
  indices: number[];
  /** Their scores: the input scores for hard NMS, the decayed ones for soft-NMS. */
  scores: number[];
}

/** Boxes as a flat `[x1, y1, x2, y2, ...]` list or one `[x1, y1, x2, y2]` array per box. */
export type BoxList = ArrayLike<number> | readonly (readonly number[])[];

/** IoU of boxes `i` and `j` of a flat `[x1, y1, x2, y2]` list (area `(x2-x1)*(y2-y1)`, no +1). */
export function boxIou(boxes: ArrayLike<number>, i: number, j: number): number {
  const ax1 = boxes[4 * i], ay1 = boxes[4 * i + 1], ax2 = boxes[4 * i + 2], ay2 = boxes[4 * i + 3];
  const bx1 = boxes[4 * j], by1 = boxes[4 * j + 1], bx2 = boxes[4 * j + 2], by2 = boxes[4 * j + 3];
  const interWidth = Math.max(Math.min(ax2, bx2) - Math.max(ax1, bx1), 0);
  const interHeight = Math.max(Math.min(ay2, by2) - Math.max(ay1, by1), 0);
  const intersection = interWidth * interHeight;
  const union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - intersection;
  // torchvision yields NaN (never suppresses) for two empty boxes; 0 behaves the same and stays finite.
  return union > 0 ? intersection / union : 0;
}

function flatten(boxes: BoxList, count: number): ArrayLike<number> {
  const first = (boxes as ArrayLike<unknown>)[0];
  if (count > 0 && Array.isArray(first)) {
    const rows = boxes as readonly (readonly number[])[];
    if (rows.length !== count || !rows.every((row) => row.length === 4)) {
      throw new InvalidArgumentError('boxes', `${count} rows of 4 numbers`, `${rows.length} rows`);
    }
    const flat = new Float64Array(count * 4);
    rows.forEach((row, index) => flat.set(row, index * 4));
    return flat;
  }
  const flat = boxes as ArrayLike<number>;
  if (flat.length !== count * 4) {
    throw new InvalidArgumentError('boxes', `${count * 4} numbers (4 per score)`, `${flat.length}`);
  }
  return flat;
}

/**
 * Non-maximum suppression in plain JavaScript, no tensors needed.
 *
 * @param boxes `K` boxes `[x1, y1, x2, y2]`, flat (`Float32Array` of `4K`) or as `K` rows.
 * @param scores `K` scores.
 * @param classes `K` class ids, or omitted / null to treat all boxes as one class.
 * @returns the surviving indices and their scores, best first, at most `maxDetections`.
 */
export function nms(
  boxes: BoxList,
  scores: ArrayLike<number>,
  classes?: ArrayLike<number> | null,
  options: NmsOptions = {},
): NmsResult {
  checkNmsOptions(options);
  if (scores == null || typeof (scores as ArrayLike<number>).length !== 'number' || typeof scores === 'string') {
    throw new InvalidArgumentError('scores', 'an array (or typed array) of numbers', describeValue(scores));
  }
  if (boxes == null || typeof (boxes as ArrayLike<number>).length !== 'number' || typeof boxes === 'string') {
    throw new InvalidArgumentError('boxes', 'a flat [x1, y1, x2, y2, ...] list or one [x1, y1, x2, y2] row per box', describeValue(boxes));
  }
  const { mode = 'per-class', iouThreshold = 0.2, scoreThreshold = -Infinity, softNmsSigma = 0.5 } = options;
  const maxDetections = options.maxDetections ?? Infinity;
  const count = scores.length;
  const flat = flatten(boxes, count);
  if (classes != null && classes.length !== count) {
    throw new InvalidArgumentError('classes', `${count} class ids (one per score)`, `${classes.length}`);
  }

  // Hard NMS at IoU 1 keeps every candidate (see `bestCandidates`): only the best `maxDetections` are needed.
  const suppresses = mode === 'soft' || iouThreshold < 1;
  const candidates = sortedCandidates(scores, scoreThreshold, suppresses ? Infinity : maxDetections);
  if (!suppresses) return bestCandidates(scores, candidates);
  const groups = groupIds(mode === 'agnostic' ? null : classes, count);
  if (mode === 'soft') return softNms(flat, scores, candidates, groups, scoreThreshold, softNmsSigma, maxDetections);
  return hardNms(flat, scores, candidates, groups, iouThreshold, maxDetections);
}

/** Each box's group as a small whole number (0, 1, ... in order of first appearance); all 0 without classes. */
function groupIds(classes: ArrayLike<number> | null | undefined, count: number): Int32Array {
  const groups = new Int32Array(count);
  if (classes == null) return groups;
  const idOf = new Map<number, number>();
  for (let index = 0; index < count; index++) {
    let id = idOf.get(classes[index]);
    if (id === undefined) idOf.set(classes[index], (id = idOf.size));
    groups[index] = id;
  }
  return groups;
}

/**
 * Hard NMS at an IoU threshold of 1: IoU never exceeds 1 (the intersection is at most either area, and float
 * rounding is monotonic), so nothing is suppressed and the best candidates (at most `maxDetections`, as
 * `sortedCandidates` chose them) are the answer, classes aside.
 */
function bestCandidates(scores: ArrayLike<number>, candidates: Int32Array): NmsResult {
  const indices: number[] = new Array(candidates.length);
  const kept: number[] = new Array(candidates.length);
  for (let rank = 0; rank < candidates.length; rank++) {
    indices[rank] = candidates[rank];
    kept[rank] = scores[candidates[rank]];
  }
  return { indices, scores: kept };
}

/**
 * Greedy hard NMS over candidates sorted best first: a box survives unless its IoU with a kept box of its
 * group is greater than the threshold. `KeptGrid` finds the kept boxes of its group that it may intersect.
 */
function hardNms(
  boxes: ArrayLike<number>,
  scores: ArrayLike<number>,
  candidates: Int32Array,
  groups: Int32Array,
  iouThreshold: number,
  maxDetections: number,
): NmsResult {
  const result: NmsResult = { indices: [], scores: [] };
  const limit = Math.min(maxDetections, candidates.length);
  const kept = new KeptGrid(boxes, candidates);
  for (const index of candidates) {
    if (result.indices.length >= limit) break;
    if (kept.suppresses(index, groups[index], iouThreshold)) continue;
    kept.add(index, groups[index]);
    result.indices.push(index);
    result.scores.push(scores[index]);
  }
  return result;
}

/**
 * Gaussian soft-NMS within each group: repeatedly select the group's best remaining box (ties: lower index) and decay the others by `exp(-iou^2 / sigma)`,
 * dropping those at or below the threshold. A box that does not intersect the selected one has IoU 0 and
 * a factor of exactly 1, so only intersecting boxes are decayed; the next best is found in the same pass.
 */
function softNms(
  boxes: ArrayLike<number>,
  scores: ArrayLike<number>,
  candidates: Int32Array,
  groups: Int32Array,
  scoreThreshold: number,
  sigma: number,
  maxDetections: number,
): NmsResult {
  // Members of each group in ascending index order, which the tie rule relies on.
  const ascending = Int32Array.from(candidates).sort();
  const members: number[][] = [];
  for (const index of ascending) (members[groups[index]] ??= []).push(index);
  const current = new Float64Array(scores.length);
  for (const index of ascending) current[index] = scores[index];
  const selected: { index: number; score: number }[] = [];
  for (const group of members) {
    if (group === undefined) continue;
    const remaining = Int32Array.from(group);
    let size = remaining.length;
    let best = 0;
    for (let k = 1; k < size; k++) if (current[remaining[k]] > current[remaining[best]]) best = k;
    while (size > 0) {
      const top = remaining[best];
      selected.push({ index: top, score: current[top] });
      const tx1 = boxes[4 * top], ty1 = boxes[4 * top + 1], tx2 = boxes[4 * top + 2], ty2 = boxes[4 * top + 3];
      const topArea = (tx2 - tx1) * (ty2 - ty1);
      let survivors = 0;
      let nextBest = -1;
      for (let k = 0; k < size; k++) {
        const index = remaining[k];
        if (index === top) continue;
        const interWidth = Math.min(tx2, boxes[4 * index + 2]) - Math.max(tx1, boxes[4 * index]);
        const interHeight = Math.min(ty2, boxes[4 * index + 3]) - Math.max(ty1, boxes[4 * index + 1]);
        if (interWidth > 0 && interHeight > 0) {
          const intersection = interWidth * interHeight;
          const area = (boxes[4 * index + 2] - boxes[4 * index]) * (boxes[4 * index + 3] - boxes[4 * index + 1]);
          const union = topArea + area - intersection;
          const iou = union > 0 ? intersection / union : 0;
          const score = current[index] * Math.exp(-(iou * iou) / sigma);
          current[index] = score;
          if (!(score > scoreThreshold)) continue;
        }
        remaining[survivors] = index;
        if (nextBest < 0 || current[index] > current[remaining[nextBest]]) nextBest = survivors;
        survivors++;
      }
      size = survivors;
      best = nextBest;
    }
  }
  selected.sort((a, b) => b.score - a.score || a.index - b.index);
  const capped = selected.slice(0, Math.min(selected.length, maxDetections));
  return { indices: capped.map((entry) => entry.index), scores: capped.map((entry) => entry.score) };
}
