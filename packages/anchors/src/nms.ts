import { InvalidArgumentError, describeValue } from '@edet/tensor';

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

  const groupOf = (index: number): number => (mode === 'agnostic' || classes == null ? 0 : classes[index]);
  const candidates: number[] = [];
  for (let index = 0; index < count; index++) if (scores[index] > scoreThreshold) candidates.push(index);

  if (mode === 'soft') return softNms(flat, scores, candidates, groupOf, scoreThreshold, softNmsSigma, maxDetections);

  // Array.prototype.sort is stable, so equal scores keep ascending index order.
  candidates.sort((i, j) => scores[j] - scores[i]);
  const keptByGroup = new Map<number, number[]>();
  const result: NmsResult = { indices: [], scores: [] };
  for (const index of candidates) {
    if (result.indices.length >= maxDetections) break;
    const group = groupOf(index);
    let kept = keptByGroup.get(group);
    if (kept === undefined) keptByGroup.set(group, (kept = []));
    if (kept.some((other) => boxIou(flat, other, index) > iouThreshold)) continue;
    kept.push(index);
    result.indices.push(index);
    result.scores.push(scores[index]);
  }
  return result;
}

function softNms(
  boxes: ArrayLike<number>,
  scores: ArrayLike<number>,
  candidates: number[],
  groupOf: (index: number) => number,
  scoreThreshold: number,
  sigma: number,
  maxDetections: number,
): NmsResult {
  const groups = new Map<number, number[]>();
  for (const index of candidates) {
    const group = groupOf(index);
    const members = groups.get(group);
    if (members === undefined) groups.set(group, [index]);
    else members.push(index);
  }
  const current = new Map<number, number>(candidates.map((index) => [index, scores[index]]));
  const selected: { index: number; score: number }[] = [];
  for (let remaining of groups.values()) {
    while (remaining.length > 0) {
      // Best remaining box; members are in ascending index order, so ties go to the lower index.
      let best = 0;
      for (let k = 1; k < remaining.length; k++) {
        if (current.get(remaining[k])! > current.get(remaining[best])!) best = k;
      }
      const top = remaining[best];
      selected.push({ index: top, score: current.get(top)! });
      const survivors: number[] = [];
      for (const index of remaining) {
        if (index === top) continue;
        const iou = boxIou(boxes, top, index);
        const score = current.get(index)! * Math.exp(-(iou * iou) / sigma);
        current.set(index, score);
        if (score > scoreThreshold) survivors.push(index);
      }
      remaining = survivors;
    }
  }
  selected.sort((a, b) => b.score - a.score || a.index - b.index);
  const capped = selected.slice(0, Math.min(selected.length, maxDetections));
  return { indices: capped.map((entry) => entry.index), scores: capped.map((entry) => entry.score) };
}
