/**
 * Indices that put `scores` in descending order, ties in their given order. pycocotools sorts with a stable
 * mergesort (`np.argsort(-scores, kind='mergesort')`), so with equal scores the earlier detection (in the
 * results file, or in image-id order when images are pooled) ranks first; that decides which tied boxes
 * survive a `maxDets` cut and where a true positive sits on the precision curve. `Array.prototype.sort`
 * is stable, so this is the same order.
 */
export function descendingScoreOrder(scores: ArrayLike<number>): number[] {
  const order = Array.from({ length: scores.length }, (_, index) => index);
  return order.sort((a, b) => scores[b] - scores[a]);
}

/**
 * Indices with every `false` flag before every `true` one, each group in its given order (a stable sort on
 * the flag, as pycocotools orders ground truth: the boxes to ignore last).
 */
export function falseFirstOrder(flags: readonly boolean[]): number[] {
  const order: number[] = [];
  flags.forEach((flag, index) => flag || order.push(index));
  flags.forEach((flag, index) => flag && order.push(index));
  return order;
}
