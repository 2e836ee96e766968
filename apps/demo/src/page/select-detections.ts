import { nms } from '@edet/anchors';

import type { Candidates } from '../protocol.js';

/** One detection as the page shows it; `box` is `[x1, y1, x2, y2]` in original-image pixels. */
export interface ShownDetection {
  box: [number, number, number, number];
  score: number;
  classId: number;
}

/** The thresholds the sliders set. */
export interface SelectionOptions {
  scoreThreshold: number;
  iouThreshold: number;
  maxDetections: number;
}

/**
 * Applies the score threshold and per-class NMS to the worker's candidates, as `model.detect` does after
 * the network (NMS on network-input boxes, the float32 threshold, ties to the lower anchor index), then
 * reports the boxes in original-image pixels, leaving out boxes with no area. Plain arrays: no tensors,
 * no network run.
 */
export function selectDetections(candidates: Candidates, options: SelectionOptions): ShownDetection[] {
  const kept = nms(candidates.boxes, candidates.scores, candidates.classIds, {
    mode: 'per-class',
    iouThreshold: options.iouThreshold,
    scoreThreshold: Math.fround(options.scoreThreshold),
    maxDetections: options.maxDetections,
  });
  const shown = kept.indices.map((index, rank) => ({
    index,
    box: Array.from(candidates.originalBoxes.subarray(index * 4, index * 4 + 4)) as ShownDetection['box'],
    score: kept.scores[rank],
    classId: candidates.classIds[index],
  }));
  // Clipping (zylo117's: x1, y1 from below, x2, y2 from above) leaves a box that lay wholly left of or above
  // the input inverted, with no area: nothing to draw, as `edet detect` drops it too.
  const hasArea = (index: number) => {
    const [x1, y1, x2, y2] = candidates.boxes.subarray(index * 4, index * 4 + 4);
    return x2 > x1 && y2 > y1;
  };
  return shown.filter((detection) => hasArea(detection.index)).map(({ box, score, classId }) => ({ box, score, classId }));
}
