/**
 * IoU of every detection with every ground-truth box, COCO style: boxes are `[x, y, width, height]` and areas
 * are `width * height` (no +1 pixel). For a crowd region the overlap is divided by the detection's area
 * alone, so a detection lying inside a crowd scores 1 however large the crowd is.
 * The arithmetic follows pycocotools' `bbIou` operation for operation (same sums, same order), so that
 * IoUs sitting exactly on a threshold compare the same way.
 *
 * @param detections D boxes `[x, y, width, height]`.
 * @param groundTruths G boxes `[x, y, width, height]`.
 * @param crowd G flags, true for an `iscrowd` region.
 * @returns `[D, G]` row-major: `iou[d * G + g]`. Disjoint or touching boxes give 0.
 */
export function boxIou(
  detections: readonly (readonly number[])[],
  groundTruths: readonly (readonly number[])[],
  crowd: readonly boolean[],
): Float64Array {
  const detectionCount = detections.length;
  const groundTruthCount = groundTruths.length;
  const iou = new Float64Array(detectionCount * groundTruthCount);
  for (let g = 0; g < groundTruthCount; g++) {
    const [gx, gy, gw, gh] = groundTruths[g];
    const groundTruthArea = gw * gh;
    const isCrowd = crowd[g];
    for (let d = 0; d < detectionCount; d++) {
      const [dx, dy, dw, dh] = detections[d];
      const width = Math.min(dw + dx, gw + gx) - Math.max(dx, gx);
      if (width <= 0) continue;
      const height = Math.min(dh + dy, gh + gy) - Math.max(dy, gy);
      if (height <= 0) continue;
      const intersection = width * height;
      const detectionArea = dw * dh;
      const union = isCrowd ? detectionArea : detectionArea + groundTruthArea - intersection;
      iou[d * groundTruthCount + g] = intersection / union;
    }
  }
  return iou;
}
